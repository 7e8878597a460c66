#include "core/net/resolve.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace qiao {

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<std::pair<boost::system::error_code, std::vector<tcp::endpoint>>> resolve_by(
    std::string_view host, std::string_view service, std::chrono::steady_clock::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  // A timer cancels the resolver. Its handler holds only a weak pointer, since it may run after
  // this frame is gone.
  auto resolver = std::make_shared<tcp::resolver>(executor);
  asio::steady_timer guard(executor, deadline);
  guard.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto live = weak.lock()) live->cancel();
  });
  auto [ec, results] = co_await resolver->async_resolve(host, service, asio::as_tuple(asio::use_awaitable));
  guard.cancel();
  if (ec == asio::error::operation_aborted && std::chrono::steady_clock::now() >= deadline) {
    ec = asio::error::timed_out;
  }
  std::vector<tcp::endpoint> endpoints;
  if (!ec) {
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  co_return std::make_pair(ec, std::move(endpoints));
}

}  // namespace qiao
