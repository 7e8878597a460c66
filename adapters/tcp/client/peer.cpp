#include "adapters/tcp/client/peer.hpp"

#include <charconv>

#include "core/net/resolve.hpp"

namespace qiao::tcp {

namespace asio = boost::asio;
using asio::ip::tcp;

std::optional<Peer> parse_peer(std::string_view text) {
  Peer peer;
  peer.text = std::string(text);
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    peer.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.substr(0, colon).find(':') != std::string_view::npos)
      return std::nullopt;
    peer.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (peer.host.empty() || port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    return std::nullopt;
  }
  peer.port = static_cast<std::uint16_t>(port);
  boost::system::error_code address_ec;
  auto address = asio::ip::make_address(peer.host, address_ec);
  if (!address_ec) peer.address = address;
  return peer;
}

asio::awaitable<Expected<std::vector<tcp::endpoint>>> resolve_peer(const Peer& peer, Clock::time_point deadline) {
  if (peer.address) co_return std::vector<tcp::endpoint>{tcp::endpoint(*peer.address, peer.port)};
  auto [ec, endpoints] = co_await resolve_by(peer.host, std::to_string(peer.port), deadline);
  if (ec == asio::error::timed_out)
    co_return make_error(ErrorKind::unavailable, "cannot resolve '" + peer.host + "' in time");
  if (ec) co_return make_error(ErrorKind::unavailable, "cannot resolve '" + peer.host + "': " + ec.message());
  co_return std::move(endpoints);
}

}  // namespace qiao::tcp
