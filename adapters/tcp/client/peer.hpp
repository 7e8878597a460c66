#pragma once
// The peer a tcp endpoint connects to, as written in `connect: "host:port"`, and how it is
// resolved (an IP literal needs no DNS; a name is looked up on every connection attempt so a
// bank host moved behind DNS is found again after a reconnect).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace qiao::tcp {

using Clock = std::chrono::steady_clock;

struct Peer {
  std::string host;  // an IPv6 literal without its brackets
  std::uint16_t port = 0;
  std::optional<boost::asio::ip::address> address;  // when host is an IP literal
  std::string text;                                 // "host:port" as written, for messages
};

// "127.0.0.1:5000", "[::1]:2575", "lis.hospital.local:2575". nullopt when malformed.
std::optional<Peer> parse_peer(std::string_view text);

// The addresses to try, or an unavailable-kind error text; gives up at `deadline`.
boost::asio::awaitable<Expected<std::vector<boost::asio::ip::tcp::endpoint>>> resolve_peer(const Peer& peer,
                                                                                           Clock::time_point deadline);

}  // namespace qiao::tcp
