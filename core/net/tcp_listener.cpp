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

struct ListenerState {
  ListenerState(asio::io_context& io, Host& h, std::shared_ptr<ConnectionHandler> ch, std::string n)
      : acceptor(io), host(h), handler(std::move(ch)), name(std::move(n)) {}
  tcp::acceptor acceptor;
  Host& host;
  std::shared_ptr<ConnectionHandler> handler;
  std::string name;
  std::string address;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopped{false};
};

asio::awaitable<void> run_connection(std::shared_ptr<ListenerState> state, tcp::socket socket) {
  struct Count {
    std::atomic<std::size_t>& n;
    ~Count() { n.fetch_sub(1); }
  } count{state->connections};
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  co_await state->handler->serve(std::move(socket), state->stopped);
}

asio::awaitable<void> accept_connections(std::shared_ptr<ListenerState> state) {
  std::chrono::steady_clock::time_point last_warning{};
  for (;;) {
    asio::io_context& worker = state->host.next_worker();
    auto [ec, socket] = co_await state->acceptor.async_accept(worker, use_tuple);
    if (state->stopped.load() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      log::system().warn("{}: accept failed: {}", state->name, ec.message());
      asio::steady_timer pause(state->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    const std::size_t limit = state->handler->max_connections();
    if (state->connections.load() >= limit) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_warning > std::chrono::seconds(10)) {
        log::system().warn("{}: {} connections open, the limit; refusing new ones", state->name, limit);
        last_warning = now;
      }
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    state->connections.fetch_add(1);
    spawn(worker, run_connection(state, std::move(socket)), state->name + " session");
  }
}

class TcpListener final : public Listener {
 public:
  explicit TcpListener(std::shared_ptr<ListenerState> state) : state_(std::move(state)) {}
  ~TcpListener() override { stop(); }

  std::string address() const override { return state_->address; }

  void stop() override {
    if (state_->stopped.exchange(true)) return;
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
