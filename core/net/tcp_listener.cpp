#include "core/net/tcp_listener.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "core/log.hpp"
#include "core/metrics.hpp"
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
  // Open connections by remote IP; sessions end on worker threads, so under a lock.
  std::mutex mutex;
  std::unordered_map<std::string, std::size_t> per_address;
};

// Warns at most once per `every`, saying how many warnings it held back meanwhile.
class RateLimitedWarning {
 public:
  explicit RateLimitedWarning(std::chrono::seconds every) : every_(every) {}
  template <class... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) {
    const auto now = std::chrono::steady_clock::now();
    if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < every_) {
      ++suppressed_;
      return;
    }
    std::string text = fmt::format(format, std::forward<Args>(args)...);
    if (suppressed_ > 0) text += fmt::format(" ({} more like this in the last {} s)", suppressed_, every_.count());
    log::system().warn("{}", text);
    suppressed_ = 0;
    last_ = now;
  }

 private:
  std::chrono::seconds every_;
  std::chrono::steady_clock::time_point last_{};
  std::size_t suppressed_ = 0;
};

// A descriptor held only to be given up (see TcpListenerOptions::spare_fd).
int open_spare_fd() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

struct ListenerState {
  ListenerState(asio::io_context& io, Host& h, std::shared_ptr<ConnectionHandler> ch, std::string n)
      : acceptor(io), host(h), share(std::make_shared<SessionShare>(std::move(ch))), name(std::move(n)) {}
  ~ListenerState() {
    if (spare_fd >= 0) ::close(spare_fd);
  }
  tcp::acceptor acceptor;
  Host& host;
  std::shared_ptr<SessionShare> share;
  std::string name;
  std::string address;
  bool keep_spare = false;
  int spare_fd = -1;  // touched on the acceptor thread only
};

asio::awaitable<void> run_connection(std::shared_ptr<SessionShare> share, tcp::socket socket, std::string ip) {
  struct Count {
    SessionShare& share;
    const std::string& ip;
    ~Count() {
      share.connections.fetch_sub(1);
      std::lock_guard lock(share.mutex);
      if (auto it = share.per_address.find(ip); it != share.per_address.end() && --it->second == 0)
        share.per_address.erase(it);
    }
  } count{*share, ip};
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  co_await share->handler->serve(std::move(socket), share->stopped);
}

bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open || ec == boost::system::errc::too_many_files_open_in_system;
}

asio::awaitable<void> accept_connections(std::shared_ptr<ListenerState> state) {
  RateLimitedWarning total_warning(std::chrono::seconds(10));
  RateLimitedWarning address_warning(std::chrono::seconds(10));
  RateLimitedWarning accept_warning(std::chrono::seconds(10));
  auto& refused_total = listener_event_counter(state->name, "max_connections");
  auto& refused_address = listener_event_counter(state->name, "max_connections_per_address");
  auto& accept_failed = listener_event_counter(state->name, "accept_failed");
  // Out of descriptors, accepting again at once fails again: wait, longer each time, until one
  // accept succeeds.
  constexpr std::chrono::milliseconds first_pause{10}, longest_pause{1000};
  std::chrono::milliseconds pause = first_pause;
  for (;;) {
    if (state->keep_spare && state->spare_fd < 0) state->spare_fd = open_spare_fd();
    asio::io_context& worker = state->host.next_worker();
    auto [ec, socket] = co_await state->acceptor.async_accept(worker, use_tuple);
    SessionShare& share = *state->share;
    if (share.stopped.load() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      if (out_of_descriptors(ec) && state->spare_fd >= 0) {
        // Give the reserve to the connection waiting in the backlog; it is taken back once a
        // descriptor is free again.
        ::close(state->spare_fd);
        state->spare_fd = -1;
        log::system().warn("{}: accept failed ({}); serving with the descriptor held in reserve", state->name,
                           ec.message());
        continue;
      }
      accept_failed.fetch_add(1, std::memory_order_relaxed);
      accept_warning.warn("{}: accept failed: {}; retrying in {} ms", state->name, ec.message(), pause.count());
      asio::steady_timer timer(state->acceptor.get_executor(), pause);
      co_await timer.async_wait(use_tuple);
      pause = std::min(pause * 2, longest_pause);
      continue;
    }
    pause = first_pause;
    boost::system::error_code endpoint_ec;
    const auto remote = socket.remote_endpoint(endpoint_ec);
    if (endpoint_ec) continue;  // reset before we got to it; closing the socket is all there is
    std::string ip = remote.address().to_string();
    const std::size_t limit = share.handler->max_connections();
    if (share.connections.load() >= limit) {
      refused_total.fetch_add(1, std::memory_order_relaxed);
      total_warning.warn("{}: {} connections open, the limit; refusing new ones", state->name, limit);
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    const std::size_t address_limit = share.handler->max_connections_per_address();
    {
      std::lock_guard lock(share.mutex);
      std::size_t& open = share.per_address[ip];
      if (open >= address_limit) {
        if (open == 0) share.per_address.erase(ip);
        refused_address.fetch_add(1, std::memory_order_relaxed);
        address_warning.warn("{}: {} connections open from {}, the limit per address; refusing new ones", state->name,
                             address_limit, ip);
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++open;
    }
    share.connections.fetch_add(1);
    spawn(worker, run_connection(state->share, std::move(socket), std::move(ip)), state->name + " session");
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

Expected<std::unique_ptr<Listener>> open_tcp_listener(const HostPort& address,
                                                      std::shared_ptr<ConnectionHandler> handler, Host& host,
                                                      std::string name, TcpListenerOptions options) {
  auto state = std::make_shared<ListenerState>(host.acceptor_context(), host, std::move(handler), std::move(name));
  state->keep_spare = options.spare_fd;
  if (state->keep_spare) state->spare_fd = open_spare_fd();
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address.host == "localhost" ? "127.0.0.1" : address.host, ec);
  if (ec)
    return make_error(ErrorKind::config, state->name + ": '" + address.host + "' is not an IP address to listen on");
  const tcp::endpoint endpoint(ip, address.port);
  auto& acceptor = state->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); !ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(ErrorKind::config, state->name + ": cannot listen on " + address.str() + ": " + ec.message());
  const auto bound = acceptor.local_endpoint(ec);
  state->address = HostPort{bound.address().to_string(), bound.port()}.str();
  spawn(host.acceptor_context(), accept_connections(state), state->name + " acceptor");
  return std::unique_ptr<Listener>(std::make_unique<TcpListener>(state));
}

}  // namespace qiao
