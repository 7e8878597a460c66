// Beast's out-of-line code, compiled once for the whole program.
#include <boost/beast/src.hpp>
