#pragma once
// A DNS lookup that gives up at a deadline, for the clients (HTTP and tcp endpoints): Asio's
// resolver has no timeout of its own.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

namespace qiao {

// The addresses of `host` for `service` (a port number as text). The error is
// asio::error::timed_out when `deadline` passed first, else the resolver's own.
boost::asio::awaitable<std::pair<boost::system::error_code, std::vector<boost::asio::ip::tcp::endpoint>>> resolve_by(
    std::string_view host, std::string_view service, std::chrono::steady_clock::time_point deadline);

}  // namespace qiao
