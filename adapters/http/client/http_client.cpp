#include "adapters/http/client/http_client.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include "adapters/http/common/message_writer.hpp"
#include "core/net/resolve.hpp"
#include "core/text/ascii.hpp"

namespace qiao::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// Servers commonly drop idle keep-alive connections after 60 s or more; closing ours first
// avoids most writes into a connection the server is closing.
constexpr auto idle_timeout = std::chrono::seconds(60);
constexpr std::size_t error_excerpt_bytes = 200;

Expected<std::string> header_text(const ClientSettings& settings, std::string_view name, const Value& value) {
  char digits[64];
  switch (value.type()) {
    case Value::Type::string: return std::string(value.as_string());
    case Value::Type::integer: {
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value.as_int());
      (void)ec;
      return std::string(digits, end);
    }
    case Value::Type::real: {
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value.as_real());
      (void)ec;
      return std::string(digits, end);
    }
    case Value::Type::decimal: return value.as_decimal().text;
    case Value::Type::boolean: return std::string(value.as_bool() ? "true" : "false");
    default:
      return settings.fail(ErrorKind::bad_input, "header '" + std::string(name) +
                                                     "' must be a string or a number, not " +
                                                     std::string(type_name(value.type())));
  }
}

// ---- connecting ----

asio::awaitable<Expected<std::vector<tcp::endpoint>>> resolve(const ClientSettings& settings,
                                                              Clock::time_point deadline) {
  if (settings.address) co_return std::vector<tcp::endpoint>{tcp::endpoint(*settings.address, settings.url.port)};
  auto [ec, endpoints] = co_await resolve_by(settings.url.host, settings.url.port_text(), deadline);
  if (ec == asio::error::timed_out) {
    co_return settings.fail(ErrorKind::unavailable, "cannot resolve '" + settings.url.host + "' within " +
                                                        std::to_string(settings.common.connect_timeout.count()) +
                                                        " ms");
  }
  if (ec)
    co_return settings.fail(ErrorKind::unavailable, "cannot resolve '" + settings.url.host + "': " + ec.message());
  co_return std::move(endpoints);
}

asio::awaitable<Expected<std::unique_ptr<Connection>>> connect(const ClientSettings& settings,
                                                               Clock::time_point deadline) {
  const auto connect_deadline = std::min(deadline, Clock::now() + settings.common.connect_timeout);
  // Running out of the request's whole time is a timeout like any other; running out of
  // connect_timeout means the peer could not be reached, and nothing was sent.
  auto expired = [&]() -> Error {
    if (connect_deadline == deadline) return settings.timed_out("while connecting");
    return settings.fail(ErrorKind::unavailable, "cannot connect to " + settings.url.text + " within " +
                                                     std::to_string(settings.common.connect_timeout.count()) + " ms");
  };

  auto endpoints = co_await resolve(settings, connect_deadline);
  if (!endpoints) {
    if (Clock::now() >= deadline) co_return settings.timed_out("while resolving");
    co_return std::move(endpoints).error();
  }

  auto executor = co_await asio::this_coro::executor;
  std::unique_ptr<Connection> connection;
  if (settings.tls_context) {
    connection = std::make_unique<Connection>(executor, *settings.tls_context);
  } else {
    connection = std::make_unique<Connection>(executor);
  }
  connection->tcp().expires_at(connect_deadline);
  auto [ec, endpoint] = co_await connection->tcp().async_connect(*endpoints, asio::as_tuple(asio::use_awaitable));
  if (ec == beast::error::timeout || (ec && Clock::now() >= connect_deadline)) co_return expired();
  if (ec) {
    co_return settings.fail(ErrorKind::unavailable, "cannot connect to " + settings.url.text + ": " + ec.message());
  }
  // Requests are small and answered at once: do not let Nagle hold back their last segment.
  boost::system::error_code option_ec;
  connection->tcp().socket().set_option(tcp::no_delay(true), option_ec);

  if (connection->is_tls()) {
    if (std::string problem = prepare_tls_stream(connection->tls(), settings.tls); !problem.empty()) {
      co_return settings.fail(ErrorKind::internal, problem);
    }
    auto [handshake_ec] =
        co_await connection->tls().async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (handshake_ec == beast::error::timeout || (handshake_ec && Clock::now() >= connect_deadline)) {
      co_return expired();
    }
    if (handshake_ec) {
      co_return settings.fail(ErrorKind::unavailable,
                              "TLS handshake with " + settings.url.text +
                                  " failed: " + describe_tls_failure(connection->tls().native_handle(), handshake_ec));
    }
  }
  connection->tcp().expires_never();
  co_return std::move(connection);
}

// ---- one request/response exchange on an open connection ----

struct Exchange {
  boost::system::error_code ec;
  bool written = false;    // the whole request went out
  bool got_reply = false;  // at least one byte of a reply arrived
  Response response;
};

template <class Stream>
asio::awaitable<Exchange> exchange(Stream& stream, Connection& connection, const Request& request,
                                   Clock::time_point deadline) {
  Exchange out;
  connection.tcp().expires_at(deadline);
  auto [write_ec, written] = co_await write_message(stream, request, connection.head());
  (void)written;
  if (write_ec) {
    out.ec = write_ec;
    co_return out;
  }
  out.written = true;
  for (;;) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(response_body_limit);
    parser.header_limit(response_header_limit);
    if (request.method() == bhttp::verb::head) parser.skip(true);
    auto [read_ec, read] =
        co_await bhttp::async_read(stream, connection.buffer(), parser, asio::as_tuple(asio::use_awaitable));
    (void)read;
    if (parser.got_some()) out.got_reply = true;
    if (read_ec) {
      out.ec = read_ec;
      co_return out;
    }
    // Interim replies (100 Continue, 102, 103) precede the real one; 101 would switch protocols,
    // which a request of ours never asks for.
    const unsigned status = parser.get().result_int();
    if (status >= 100 && status < 200 && status != 101) continue;
    out.response = parser.release();
    co_return out;
  }
}

// A keep-alive connection the server closed while it sat idle fails like this on first use.
bool closed_by_peer(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

Error exchange_error(const ClientSettings& settings, const Exchange& result, Clock::time_point deadline) {
  const auto& ec = result.ec;
  if (ec == beast::error::timeout || Clock::now() >= deadline) return settings.timed_out();
  if (ec == asio::error::operation_aborted) {
    return settings.fail(ErrorKind::unavailable, "request to " + settings.url.text + " was cancelled");
  }
  if (ec == bhttp::error::body_limit) {
    return settings.fail(ErrorKind::upstream, "reply from " + settings.url.text + " is larger than " +
                                                  std::to_string(response_body_limit / (1024 * 1024)) + " MiB");
  }
  if (ec == bhttp::error::header_limit) {
    return settings.fail(ErrorKind::upstream, "reply headers from " + settings.url.text + " are larger than " +
                                                  std::to_string(response_header_limit / 1024) + " KiB");
  }
  const bool parse_failure = ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
                             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  if (parse_failure) {
    return settings.fail(ErrorKind::upstream, "malformed HTTP reply from " + settings.url.text + ": " + ec.message());
  }
  if (!result.written) {
    return settings.fail(ErrorKind::unavailable,
                         "cannot send the request to " + settings.url.text + ": " + ec.message());
  }
  // The request went out, so the peer may have acted on it: this is not "unavailable", which
  // promises nothing was done.
  return settings.fail(ErrorKind::upstream,
                       "connection to " + settings.url.text + " lost before a complete reply: " + ec.message());
}

// Takes the settings and the pool by value: see HttpClient.
asio::awaitable<Expected<Response>> perform_exchange(std::shared_ptr<const ClientSettings> settings,
                                                     std::shared_ptr<ConnectionPool> pool, Request request) {
  const auto deadline = Clock::now() + settings->common.timeout;
  std::optional<ConnectionPool::Lease> lease = co_await pool->acquire(deadline);
  if (!lease) {
    if (Clock::now() < deadline) {
      co_return settings->fail(ErrorKind::unavailable, "request to " + settings->url.text + " was cancelled");
    }
    co_return settings->timed_out("all " + std::to_string(pool->limit()) + " connections busy");
  }

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection>& connection = lease->connection();
    if (!connection) {
      auto fresh = co_await connect(*settings, deadline);
      if (!fresh) co_return std::move(fresh).error();
      connection = std::move(*fresh);
    }
    const bool reused = connection->exchanges > 0;
    Exchange result;
    if (connection->is_tls()) {
      result = co_await exchange(connection->tls(), *connection, request, deadline);
    } else {
      result = co_await exchange(connection->plain(), *connection, request, deadline);
    }
    if (!result.ec) {
      ++connection->exchanges;
      if (result.response.keep_alive()) lease->recycle();
      co_return std::move(result.response);
    }
    connection->close();
    connection.reset();
    // Only a reused connection the peer had already closed, and only before any reply byte:
    // then the server cannot have seen the request, and trying once more on a fresh
    // connection is safe. Anything else might have reached the server and is not repeated.
    const bool retry = reused && attempt == 0 && !result.got_reply && result.ec != beast::error::timeout &&
                       closed_by_peer(result.ec) && Clock::now() < deadline;
    if (!retry) co_return exchange_error(*settings, result, deadline);
  }
}

}  // namespace

HttpClient::HttpClient(std::shared_ptr<const ClientSettings> settings)
    : settings_(std::move(settings)), pool_(std::make_shared<ConnectionPool>(settings_->common.pool, idle_timeout)) {}

Request HttpClient::make_request(bhttp::verb method) const {
  Request request{method, settings_->url.target, 11};
  request.set(bhttp::field::host, settings_->url.host_header());
  request.set(bhttp::field::user_agent, settings_->user_agent);
  request.keep_alive(true);
  return request;
}

Status HttpClient::add_headers(Request& request, const Object& call_headers) const {
  for (const auto& [name, value] : settings_->headers) request.set(name, value);
  for (const auto& [name, value] : call_headers) {
    if (value.is_null() || is_managed_header(name)) continue;
    if (!is_header_name(name)) return settings_->fail(ErrorKind::bad_input, "invalid header name '" + name + "'");
    auto text = header_text(*settings_, name, value);
    if (!text) return std::move(text).error();
    if (!is_header_value(*text)) {
      return settings_->fail(ErrorKind::bad_input, "header '" + name + "' contains a line break");
    }
    request.set(name, *text);
  }
  return Ok{};
}

asio::awaitable<Expected<Response>> HttpClient::send(Request request) const {
  return perform_exchange(settings_, pool_, std::move(request));
}

void HttpClient::retire() {
  if (pool_) ConnectionPool::retire(std::move(pool_));
}

Object reply_headers(const Response& response) {
  Object out;
  for (const auto& field : response) {
    const std::string name = ascii_lower(field.name_string());
    if (Value* existing = out.find(name)) {
      *existing = std::string(existing->as_string()) + ", " + std::string(field.value());
    } else {
      out.push_back(name, std::string(field.value()));
    }
  }
  return out;
}

std::string excerpt(std::string_view body) {
  std::size_t cut = std::min(body.size(), error_excerpt_bytes);
  if (cut < body.size()) {
    while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out(body.substr(0, cut));
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  if (cut < body.size()) out += "…";
  return out;
}

Error status_error(const ClientSettings& settings, const Response& response) {
  std::string what = "HTTP " + std::to_string(response.result_int()) + " from " + settings.url.text;
  if (!response.body().empty()) what += ": " + excerpt(response.body());
  Error error = settings.fail(ErrorKind::upstream, what);
  // A 4xx refuses the request itself, except 408 (the server gave up waiting) and 429 (too many
  // requests), which say "later".
  const int status = response.result_int();
  error.refused_by_peer = status >= 400 && status < 500 && status != 408 && status != 429;
  return error;
}

}  // namespace qiao::http
