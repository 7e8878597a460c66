#include "adapters/http/server/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
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
#include "core/net/tcp_listener.hpp"

namespace qiao::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// What a connection's requests share: the handler, the host, and whether the listener stopped.
struct SessionContext {
  RequestHandler& handler;
  Host& host;
  const std::atomic<bool>& stopped;
  const std::string& name;
};

bool is_quiet_close(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == beast::error::timeout || ec == asio::ssl::error::stream_truncated;
}

// Reads and answers requests until the client or a limit ends the connection.
template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, const SessionContext& state, const ConnectionInfo& connection) {
  RequestHandler& handler = state.handler;
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

class HttpConnectionHandler final : public ConnectionHandler {
 public:
  HttpConnectionHandler(std::shared_ptr<RequestHandler> handler, Host& host, std::string name)
      : handler_(std::move(handler)), host_(host), name_(std::move(name)) {}

  std::size_t max_connections() const override { return handler_->limits().max_connections; }

  asio::awaitable<void> serve(tcp::socket socket, const std::atomic<bool>& stopped) override {
    const SessionContext context{*handler_, host_, stopped, name_};
    ConnectionInfo connection;
    connection.remote = remote_address(socket);
    if (connection.remote.empty()) co_return;

    boost::system::error_code ec;
    beast::tcp_stream plain(std::move(socket));
    std::shared_ptr<asio::ssl::context> tls = handler_->tls();
    if (!tls) {
      co_await serve_requests(plain, context, connection);
      plain.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }

    connection.tls = true;
    beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls);
    const ServerLimits limits = handler_->limits();
    beast::get_lowest_layer(stream).expires_after(limits.read_timeout);
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (handshake_ec) {
      log::system().debug("{}: TLS handshake with {} failed: {}", name_, connection.remote, handshake_ec.message());
      co_return;
    }
    co_await serve_requests(stream, context, connection);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    co_await stream.async_shutdown(use_tuple);
  }

 private:
  std::shared_ptr<RequestHandler> handler_;
  Host& host_;
  std::string name_;
};

}  // namespace

Expected<std::unique_ptr<Listener>> open_http_listener(const HostPort& address, std::shared_ptr<RequestHandler> handler,
                                                       Host& host, std::string name) {
  auto connections = std::make_shared<HttpConnectionHandler>(std::move(handler), host, name);
  return open_tcp_listener(address, std::move(connections), host, std::move(name));
}

}  // namespace qiao::http
