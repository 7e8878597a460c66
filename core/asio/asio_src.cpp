// Asio and its SSL support are compiled once, here, instead of in every file that includes them
// (BOOST_ASIO_SEPARATE_COMPILATION is defined for the whole build).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
