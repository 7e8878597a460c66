#include "core/net/tcp_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "core/log.hpp"
#include "core/spawn.hpp"

namespace qiao {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// What a connection's session shares with its listener. Sessions hold only this: a session still
// open at shutdown is destroyed with its worker's io_context, after the acceptor's io_context is
// gone, so it must never be the last owner of the acceptor.
struct SessionShare {
  explicit SessionShare(std::shared_ptr<ConnectionHandler> ch) : handler(std::move(ch)) {}
  std::shared_ptr<ConnectionHandler> handler;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopped{false};
};

struct ListenerState {
  ListenerState(asio::io_context& io, Host& h, std::shared_ptr<ConnectionHandler> ch, std::string n)
      : acceptor(io), host(h), share(std::make_shared<SessionShare>(std::move(ch))), name(std::move(n)) {}
  tcp::acceptor acceptor;
  Host& host;
  std::shared_ptr<SessionShare> share;
  std::string name;
  std::string address;
};

asio::awaitable<void> run_connection(std::shared_ptr<SessionShare> share, tcp::socket socket) {
  struct Count {
    std::atomic<std::size_t>& n;
    ~Count() { n.fetch_sub(1); }
  } count{share->connections};
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  co_await share->handler->serve(std::move(socket), share->stopped);
}

asio::awaitable<void> accept_connections(std::shared_ptr<ListenerState> state) {
  std::chrono::steady_clock::time_point last_warning{};
  for (;;) {
    asio::io_context& worker = state->host.next_worker();
    auto [ec, socket] = co_await state->acceptor.async_accept(worker, use_tuple);
    SessionShare& share = *state->share;
    if (share.stopped.load() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      log::system().warn("{}: accept failed: {}", state->name, ec.message());
      asio::steady_timer pause(state->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    const std::size_t limit = share.handler->max_connections();
    if (share.connections.load() >= limit) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_warning > std::chrono::seconds(10)) {
        log::system().warn("{}: {} connections open, the limit; refusing new ones", state->name, limit);
        last_warning = now;
      }
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    share.connections.fetch_add(1);
    spawn(worker, run_connection(state->share, std::move(socket)), state->name + " session");
  }
}

class TcpListener final : public Listener {
 public:
  explicit TcpListener(std::shared_ptr<ListenerState> state) : state_(std::move(state)) {}
  ~TcpListener() override { stop(); }

  std::string address() const override { return state_->address; }

  void stop() override {
    if (state_->share->stopped.exchange(true)) return;
    asio::post(state_->acceptor.get_executor(), [state = state_] {
      boost::system::error_code ignored;
      state->acceptor.close(ignored);
    });
  }

 private:
  std::shared_ptr<ListenerState> state_;
};

}  // namespace

std::string remote_address(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return {};
  return HostPort{remote.address().to_string(), remote.port()}.str();
}

Expected<std::unique_ptr<Listener>> open_tcp_listener(const HostPort& address, std::shared_ptr<ConnectionHandler> handler,
                                                      Host& host, std::string name) {
  auto state = std::make_shared<ListenerState>(host.acceptor_context(), host, std::move(handler), std::move(name));
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address.host == "localhost" ? "127.0.0.1" : address.host, ec);
  if (ec) return make_error(ErrorKind::config, state->name + ": '" + address.host + "' is not an IP address to listen on");
  const tcp::endpoint endpoint(ip, address.port);
  auto& acceptor = state->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); !ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(ErrorKind::config, state->name + ": cannot listen on " + address.str() + ": " + ec.message());
  const auto bound = acceptor.local_endpoint(ec);
  state->address = HostPort{bound.address().to_string(), bound.port()}.str();
  spawn(host.acceptor_context(), accept_connections(state), state->name + " acceptor");
  return std::unique_ptr<Listener>(std::make_unique<TcpListener>(state));
}

}  // namespace qiao
