#include "adapters/http/server/http_server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <functional>
#include <optional>

#include "adapters/http/common/message_writer.hpp"
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
         ec == asio::error::operation_aborted || ec == beast::error::timeout ||
         ec == asio::ssl::error::stream_truncated;
}

// Cuts a read of a request (its header, its body) that takes longer than the deadline by
// cancelling it: unlike the stream's own timeout, that leaves the socket open for the 408 that
// says why, so what the journal records is what the client got. One per connection, armed for
// each read.
class ReadDeadline {
 public:
  explicit ReadDeadline(tcp::socket& socket) : state_(std::make_shared<State>(socket)) {}
  ~ReadDeadline() { finish(); }
  ReadDeadline(const ReadDeadline&) = delete;
  ReadDeadline& operator=(const ReadDeadline&) = delete;

  void arm(std::chrono::milliseconds limit) {
    state_->expired = false;
    state_->timer.expires_after(limit);
    watch(state_, ++state_->read);
  }
  void finish() {
    ++state_->read;
    state_->timer.cancel();
  }
  bool expired() const { return state_->expired; }

 private:
  struct State {
    explicit State(tcp::socket& s) : socket(&s), timer(s.get_executor()) {}
    tcp::socket* socket;  // outlives the deadline; touched only while its read is armed
    asio::steady_timer timer;
    std::uint64_t read = 0;
    bool expired = false;
  };

  // A cancel only reaches a read still in progress: one that had just completed, its handler not
  // yet run, is followed by the next read of the same request. So once due, it cancels again
  // every few milliseconds until the read is finished. A handler of an earlier read (already due
  // when it finished) finds another number and does nothing.
  static void watch(std::shared_ptr<State> state, std::uint64_t read) {
    state->timer.async_wait([state, read](boost::system::error_code ec) {
      if (ec || state->read != read) return;
      state->expired = true;
      state->socket->cancel(ec);
      state->timer.expires_after(std::chrono::milliseconds(5));
      watch(state, read);
    });
  }

  std::shared_ptr<State> state_;
};

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Answers a request the server itself refuses (status 0: the one of the error's kind) and ends
// the connection, whose remaining bytes cannot be trusted to start a request.
template <class Stream>
asio::awaitable<void> refuse(Stream& stream, RequestHandler& handler, Error error, int status,
                             const ConnectionInfo& connection, const ServerLimits& limits) {
  Response res = handler.reject(std::move(error), status, connection);
  res.keep_alive(false);
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(limits.write_timeout);
  std::string head;
  co_await write_message(stream, res, head);
}

// What shutdown may do to a connection, on the connection's own thread: end it while it waits
// for a request, or, at the drain timeout, wake it from a flow that is still running.
struct ShutdownControl {
  tcp::socket* socket = nullptr;
  asio::steady_timer* flow_done = nullptr;  // woken when a flow is done
  bool idle = false;
  bool drain_expired = false;
  bool gone = false;
};

// Runs the flow apart from the connection, which then waits for it or for the drain timeout.
// After the timeout the connection has answered and moved on; the flow's result is dropped.
asio::awaitable<void> handle_request(RequestHandler& handler, Request request, ConnectionInfo connection,
                                     std::shared_ptr<std::optional<Response>> result) {
  *result = co_await handler.handle(std::move(request), connection);
}

enum class ReadUntil { header, message };

// Parses what `buffer` holds and reads more until the parser has the header or the whole
// message. As bhttp::async_read_header and async_read do, with their errors, but without their
// posted completion when the bytes are already in the buffer (two trips through the scheduler per
// request, one for the header and one for the body).
template <class Stream>
asio::awaitable<boost::system::error_code> read_request(Stream& stream, beast::flat_buffer& buffer,
                                                        bhttp::basic_parser<true>& parser, ReadUntil until) {
  auto done = [&] { return until == ReadUntil::header ? parser.is_header_done() : parser.is_done(); };
  while (!done()) {
    if (buffer.size() > 0) {
      boost::system::error_code ec;
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != bhttp::error::need_more) co_return ec;
      if (!ec && used > 0) continue;
    }
    const std::size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return bhttp::error::buffer_overflow;
    auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(size), use_tuple);
    buffer.commit(n);
    if (read_ec == asio::error::eof) {
      if (!parser.got_some()) co_return bhttp::error::end_of_stream;
      boost::system::error_code eof_ec;
      parser.put_eof(eof_ec);
      co_return eof_ec;
    }
    if (read_ec) co_return read_ec;
  }
  co_return boost::system::error_code{};
}

// Reads and answers requests until the client or a limit ends the connection.
template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, const SessionContext& state, const ConnectionInfo& connection) {
  RequestHandler& handler = state.handler;
  const ServerLimits first_limits = handler.limits();
  // Bounded, so that what no limit of the parser covers (a chunk's size line and extensions, the
  // trailer) cannot grow without end; a header, and then the body piece by piece, pass through.
  beast::flat_buffer buffer(first_limits.max_header + 4 * 1024);
  std::string head;  // each response's start line and fields
  auto& tcp_layer = beast::get_lowest_layer(stream);
  const auto executor = tcp_layer.get_executor();
  ReadDeadline read_deadline(tcp_layer.socket());
  asio::steady_timer flow_done(executor);
  auto control = std::make_shared<ShutdownControl>();
  control->socket = &tcp_layer.socket();
  control->flow_done = &flow_done;
  struct Gone {
    ShutdownControl& control;
    ~Gone() { control.gone = true; }
  } gone{*control};
  const Gate::Watch watch(state.host.gate(), [control, executor](Gate::Event event) {
    asio::post(executor, [control, event] {
      if (control->gone) return;
      if (event == Gate::Event::closing && control->idle) {
        boost::system::error_code ignored;
        control->socket->cancel(ignored);
      }
      if (event == Gate::Event::drain_expired) {
        control->drain_expired = true;
        control->flow_done->cancel();
      }
    });
  });
  // A chunk extension is header-like metadata: it gets the header's limit.
  std::function<void(std::uint64_t, std::string_view, boost::system::error_code&)> check_chunk_header =
      [max = first_limits.max_header](std::uint64_t, std::string_view extensions, boost::system::error_code& ec) {
        if (extensions.size() > max) ec = bhttp::error::bad_chunk_extension;
      };
  for (std::size_t served = 0;; ++served) {
    const ServerLimits limits = handler.limits();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header));
    parser.body_limit(limits.max_body);
    parser.on_chunk_header(check_chunk_header);

    // Waiting for a request: the first of a connection must start within the header deadline,
    // a later one within the idle timeout. Nothing was sent, so nothing is answered.
    // Shutdown ends a connection that waits; one that closed the gate before sees it here.
    if (buffer.size() == 0) {
      if (state.host.gate().closing()) co_return;
      tcp_layer.expires_after(served == 0 ? limits.header_timeout : limits.idle_timeout);
      control->idle = true;
      auto [wait_ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      control->idle = false;
      if (wait_ec) co_return;
      buffer.commit(n);
    }

    tcp_layer.expires_never();
    read_deadline.arm(limits.header_timeout);
    boost::system::error_code header_ec = co_await read_request(stream, buffer, parser, ReadUntil::header);
    read_deadline.finish();
    if (read_deadline.expired()) header_ec = beast::error::timeout;
    if (header_ec) {
      if (is_quiet_close(header_ec) && header_ec != beast::error::timeout) co_return;
      // A Content-Length over the body limit is refused as soon as the header is read.
      Error error =
          header_ec == bhttp::error::header_limit
              ? Error{ErrorKind::too_large,
                      "request header is larger than " + std::to_string(limits.max_header) + " bytes"}
          : header_ec == bhttp::error::body_limit
              ? Error{ErrorKind::too_large, "request body is larger than " + std::to_string(limits.max_body) + " bytes"}
          : header_ec == beast::error::timeout
              ? Error{ErrorKind::timeout,
                      "request header was not received within " + std::to_string(limits.header_timeout.count()) + " ms"}
              : Error{ErrorKind::bad_input, "malformed HTTP request: " + header_ec.message()};
      const int status = header_ec == bhttp::error::header_limit ? 431 : header_ec == beast::error::timeout ? 408 : 0;
      co_await refuse(stream, handler, std::move(error), status, connection, limits);
      co_return;
    }

    // Only chunked is a framing this server decodes; passing on a compressed body as if it were
    // plain would hand the flow bytes it cannot read (RFC 9112 §6.1: 501).
    const std::string_view transfer_encoding = trimmed(parser.get()[bhttp::field::transfer_encoding]);
    if (!transfer_encoding.empty() && !beast::iequals(transfer_encoding, "chunked")) {
      Error error{ErrorKind::bad_input, "Transfer-Encoding '" + std::string(transfer_encoding) +
                                            "' is not supported; send the body as is or chunked"};
      co_await refuse(stream, handler, std::move(error), 501, connection, limits);
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

    read_deadline.arm(limits.read_timeout);
    boost::system::error_code body_ec = co_await read_request(stream, buffer, parser, ReadUntil::message);
    read_deadline.finish();
    if (read_deadline.expired()) body_ec = beast::error::timeout;
    if (body_ec) {
      if (is_quiet_close(body_ec) && body_ec != beast::error::timeout) co_return;
      // Built before the co_await: GCC 12 destroys temporaries of a conditional expression inside
      // a co_await's operands twice.
      Error error =
          body_ec == bhttp::error::body_limit
              ? Error{ErrorKind::too_large, "request body is larger than " + std::to_string(limits.max_body) + " bytes"}
          : body_ec == bhttp::error::buffer_overflow
              ? Error{ErrorKind::too_large, "a chunk's size line or the trailer does not fit the " +
                                                std::to_string(buffer.max_size()) +
                                                "-byte read buffer (the header limit and 4 KiB)"}
          : body_ec == beast::error::timeout
              ? Error{ErrorKind::timeout,
                      "request body was not received within " + std::to_string(limits.read_timeout.count()) + " ms"}
              : Error{ErrorKind::bad_input, "malformed request body: " + body_ec.message()};
      const int status = body_ec == beast::error::timeout ? 408 : body_ec == bhttp::error::buffer_overflow ? 431 : 0;
      co_await refuse(stream, handler, std::move(error), status, connection, limits);
      co_return;
    }

    Request request = parser.release();
    const bool keep_alive = request.keep_alive() && !state.stopped.load() && !state.host.gate().closing();
    tcp_layer.expires_never();  // the flow bounds its own time (endpoint timeouts, Lua time slice)
    auto result = std::make_shared<std::optional<Response>>();
    flow_done.expires_at(asio::steady_timer::time_point::max());
    asio::co_spawn(executor, handle_request(handler, std::move(request), connection, result),
                   [control](std::exception_ptr failure) {
                     if (failure) {
                       try {
                         std::rethrow_exception(failure);
                       } catch (const std::exception& e) {
                         log::system().error("http: a request failed inside the gateway: {}", e.what());
                       } catch (...) {
                         log::system().error("http: a request failed inside the gateway");
                       }
                     }
                     if (!control->gone) control->flow_done->cancel();
                   });
    if (!*result && !control->drain_expired) co_await flow_done.async_wait(use_tuple);
    if (!*result) {
      Error error =
          control->drain_expired
              ? Error{ErrorKind::unavailable, "the gateway stopped before this request was done (reload.drain_timeout)"}
              : Error{ErrorKind::internal, "the request failed inside the gateway (the system log says why)"};
      co_await refuse(stream, handler, std::move(error), control->drain_expired ? 503 : 500, connection, limits);
      co_return;
    }
    Response res = std::move(**result);
    res.keep_alive(keep_alive && res.keep_alive());
    res.prepare_payload();
    tcp_layer.expires_after(limits.write_timeout);
    auto [write_ec, written] = co_await write_message(stream, res, head);
    if (write_ec || !res.keep_alive()) co_return;
  }
}

// Closing a socket with unread bytes (the rest of a refused request) sends a reset, and a reset
// makes the client's kernel drop our answer before the client has read it. So the answer is
// followed by a FIN, and what the client still sends is read and dropped until it closes too, for
// a bounded time and amount.
asio::awaitable<void> linger(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 4096> sink;
  for (std::size_t dropped = 0; dropped < 1024 * 1024;) {
    auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (read_ec) co_return;
    dropped += n;
  }
}

class HttpConnectionHandler final : public ConnectionHandler {
 public:
  HttpConnectionHandler(std::shared_ptr<RequestHandler> handler, Host& host, std::string name)
      : handler_(std::move(handler)), host_(host), name_(std::move(name)) {}

  std::size_t max_connections() const override { return handler_->limits().max_connections; }
  std::size_t max_connections_per_address() const override { return handler_->limits().max_connections_per_address; }

  asio::awaitable<void> serve(tcp::socket socket, const std::atomic<bool>& stopped) override {
    const SessionContext context{*handler_, host_, stopped, name_};
    ConnectionInfo connection;
    connection.remote = remote_address(socket);
    if (connection.remote.empty()) co_return;

    beast::tcp_stream plain(std::move(socket));
    std::shared_ptr<asio::ssl::context> tls = handler_->tls();
    if (!tls) {
      co_await serve_requests(plain, context, connection);
      co_await linger(plain);
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
                                                       Host& host, std::string name, TcpListenerOptions options) {
  auto connections = std::make_shared<HttpConnectionHandler>(std::move(handler), host, name);
  return open_tcp_listener(address, std::move(connections), host, std::move(name), options);
}

}  // namespace qiao::http
