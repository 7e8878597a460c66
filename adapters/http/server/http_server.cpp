#include "adapters/http/server/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/spdlog.h>

#include <atomic>

#include "core/log.hpp"
#include "core/spawn.hpp"

namespace qiao::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct ListenerState {
  ListenerState(asio::io_context& io, Host& h, std::shared_ptr<RequestHandler> rh, std::string n)
      : acceptor(io), host(h), handler(std::move(rh)), name(std::move(n)) {}
  tcp::acceptor acceptor;
  Host& host;
  std::shared_ptr<RequestHandler> handler;
  std::string name;
  std::string address;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopped{false};
};

bool is_quiet_close(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == beast::error::timeout || ec == asio::ssl::error::stream_truncated;
}

// Reads and answers requests until the client or a limit ends the connection.
template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, ListenerState& state, const Connection& connection) {
  RequestHandler& handler = *state.handler;
  beast::flat_buffer buffer;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  for (;;) {
    const ServerLimits limits = handler.limits();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header));
    parser.body_limit(limits.max_body);

    tcp_layer.expires_after(limits.idle_timeout);
    auto [header_ec, header_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (header_ec) {
      if (is_quiet_close(header_ec) && buffer.size() == 0) co_return;
      // A Content-Length over the body limit is refused as soon as the header is read.
      Error error = header_ec == bhttp::error::header_limit
                        ? Error{ErrorKind::too_large, "request header is larger than " + std::to_string(limits.max_header) + " bytes"}
                    : header_ec == bhttp::error::body_limit
                        ? Error{ErrorKind::too_large, "request body is larger than " + std::to_string(limits.max_body) + " bytes"}
                    : header_ec == beast::error::timeout ? Error{ErrorKind::timeout, "request was not received in time"}
                                                         : Error{ErrorKind::bad_input, "malformed HTTP request: " + header_ec.message()};
      if (is_quiet_close(header_ec) && header_ec != beast::error::timeout) co_return;
      const int status = header_ec == bhttp::error::header_limit ? 431 : header_ec == beast::error::timeout ? 408 : 0;
      Response res = handler.reject(std::move(error), status, connection);
      res.keep_alive(false);
      res.prepare_payload();
      tcp_layer.expires_after(limits.write_timeout);
      co_await bhttp::async_write(stream, res, use_tuple);
      co_return;
    }

    // Shutdown waits for requests in progress, not for idle keep-alive connections.
    Gate::Pass busy = state.host.gate().enter();
    if (parser.get()[bhttp::field::expect] == "100-continue") {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, parser.get().version()};
      tcp_layer.expires_after(limits.write_timeout);
      auto [ec, n] = co_await bhttp::async_write(stream, go_on, use_tuple);
      if (ec) co_return;
    }

    tcp_layer.expires_after(limits.read_timeout);
    auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    if (body_ec) {
      if (body_ec != bhttp::error::body_limit && body_ec != beast::error::timeout) co_return;
      Response res = handler.reject(
          body_ec == bhttp::error::body_limit
              ? Error{ErrorKind::too_large, "request body is larger than " + std::to_string(limits.max_body) + " bytes"}
              : Error{ErrorKind::timeout, "request body was not received within " + std::to_string(limits.read_timeout.count()) + " ms"},
          body_ec == beast::error::timeout ? 408 : 0, connection);
      res.keep_alive(false);
      res.prepare_payload();
      tcp_layer.expires_after(limits.write_timeout);
      co_await bhttp::async_write(stream, res, use_tuple);
      co_return;
    }

    Request request = parser.release();
    const bool keep_alive = request.keep_alive() && !state.stopped.load() && !state.host.gate().closing();
    tcp_layer.expires_never();  // the flow bounds its own time (endpoint timeouts, Lua time slice)
    Response res = co_await handler.handle(std::move(request), connection);
    res.keep_alive(keep_alive && res.keep_alive());
    res.prepare_payload();
    tcp_layer.expires_after(limits.write_timeout);
    auto [write_ec, written] = co_await bhttp::async_write(stream, res, use_tuple);
    if (write_ec || !res.keep_alive()) co_return;
  }
}

asio::awaitable<void> run_session(std::shared_ptr<ListenerState> state, tcp::socket socket) {
  struct Count {
    std::atomic<std::size_t>& n;
    ~Count() { n.fetch_sub(1); }
  } count{state->connections};

  Connection connection;
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) co_return;
  connection.remote = remote.address().to_string() + ":" + std::to_string(remote.port());
  socket.set_option(tcp::no_delay(true), ec);

  beast::tcp_stream plain(std::move(socket));
  std::shared_ptr<asio::ssl::context> tls = state->handler->tls();
  if (!tls) {
    co_await serve_requests(plain, *state, connection);
    plain.socket().shutdown(tcp::socket::shutdown_send, ec);
    co_return;
  }

  connection.tls = true;
  beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls);
  const ServerLimits limits = state->handler->limits();
  beast::get_lowest_layer(stream).expires_after(limits.read_timeout);
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
  if (handshake_ec) {
    log::system().debug("{}: TLS handshake with {} failed: {}", state->name, connection.remote, handshake_ec.message());
    co_return;
  }
  co_await serve_requests(stream, *state, connection);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  co_await stream.async_shutdown(use_tuple);
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
    const std::size_t limit = state->handler->limits().max_connections;
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
    spawn(worker, run_session(state, std::move(socket)), state->name + " session");
  }
}

class HttpListener final : public Listener {
 public:
  explicit HttpListener(std::shared_ptr<ListenerState> state) : state_(std::move(state)) {}
  ~HttpListener() override { stop(); }

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

Expected<std::unique_ptr<Listener>> open_http_listener(const HostPort& address, std::shared_ptr<RequestHandler> handler,
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
  return std::unique_ptr<Listener>(std::make_unique<HttpListener>(state));
}

}  // namespace qiao::http
