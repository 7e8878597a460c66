// Boost.URL's compiled part, once for the whole program (as asio_src.cpp does for Asio): Debian
// ships its headers without a library.
#include <boost/url/src.hpp>
