#pragma once
// Every coroutine the gateway starts goes through spawn(): whatever escapes it (a bug, since
// user-caused errors are values) is logged and counted instead of vanishing or killing the
// process.

#include <boost/asio/awaitable.hpp>
#include <string>

namespace boost::asio {
class io_context;
}

namespace qiao {

class Metrics;

// The metrics escaped exceptions are counted in; set once by the runtime.
void set_spawn_metrics(Metrics* metrics);

void spawn(boost::asio::io_context& io, boost::asio::awaitable<void> task, std::string what);

}  // namespace qiao
