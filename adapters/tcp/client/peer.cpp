#include "adapters/tcp/client/peer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <memory>

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
    if (colon == std::string_view::npos || text.substr(0, colon).find(':') != std::string_view::npos) return std::nullopt;
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
  auto executor = co_await asio::this_coro::executor;
  // The resolver has no timeout of its own: a timer cancels it. The timer's handler holds only a
  // weak pointer, since it may run after this frame is gone.
  auto resolver = std::make_shared<tcp::resolver>(executor);
  asio::steady_timer guard(executor, deadline);
  guard.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto live = weak.lock()) live->cancel();
  });
  auto [ec, results] =
      co_await resolver->async_resolve(peer.host, std::to_string(peer.port), asio::as_tuple(asio::use_awaitable));
  guard.cancel();
  if (ec == asio::error::operation_aborted && Clock::now() >= deadline) {
    co_return make_error(ErrorKind::unavailable, "cannot resolve '" + peer.host + "' in time");
  }
  if (ec) co_return make_error(ErrorKind::unavailable, "cannot resolve '" + peer.host + "': " + ec.message());
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  co_return std::move(endpoints);
}

}  // namespace qiao::tcp
