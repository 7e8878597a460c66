#include "adapters/http/client/http_endpoint.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include "adapters/http/client/connection_pool.hpp"
#include "adapters/http/client/url.hpp"
#include "core/net/client_tls.hpp"
#include "core/net/resolve.hpp"
#include "qiao/version.hpp"

namespace qiao::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// A reply larger than this is refused rather than buffered: one runaway peer must not take the
// worker's memory.
constexpr std::uint64_t response_body_limit = 64ull * 1024 * 1024;
constexpr std::uint32_t response_header_limit = 64 * 1024;
// Servers commonly drop idle keep-alive connections after 60 s or more; closing ours first
// avoids most writes into a connection the server is closing.
constexpr auto idle_timeout = std::chrono::seconds(60);
constexpr std::size_t error_excerpt_bytes = 200;

constexpr ConfigKey http_keys[] = {
    {"url", KeyType::string, "", "Where requests go: http:// or https://host[:port]/path[?query].", true},
    {"method", KeyType::string, "POST",
     "HTTP method of every request: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS. GET and HEAD send no body."},
    {"headers", KeyType::mapping, "",
     "Fixed headers sent with every request, as name: value. Headers a call sets override them; "
     "Content-Length, Transfer-Encoding and Connection are managed by the client."},
    {"tls", KeyType::mapping, "",
     "HTTPS settings, https:// urls only: verify (default true), ca (PEM CA file; default the system trust "
     "store), server_name (name to verify and send as SNI; default the url's host), cert and key (PEM client "
     "certificate and key for mutual TLS). Relative paths are from the working directory."},
};

constexpr std::array<bhttp::verb, 7> allowed_methods = {bhttp::verb::get,    bhttp::verb::post,   bhttp::verb::put,
                                                        bhttp::verb::patch,  bhttp::verb::delete_, bhttp::verb::head,
                                                        bhttp::verb::options};

// Framing and hop-by-hop headers: the client sets these itself, and a flow that copies an
// incoming request's headers onto a call must not carry the old framing along.
constexpr std::array<std::string_view, 8> managed_headers = {"content-length", "transfer-encoding", "connection",
                                                              "keep-alive",     "proxy-connection",  "te",
                                                              "trailer",        "upgrade"};

bool is_managed_header(std::string_view name) {
  return std::any_of(managed_headers.begin(), managed_headers.end(),
                     [&](std::string_view managed) { return beast::iequals(managed, name); });
}

// RFC 9110 token characters.
bool is_header_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool is_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Everything a call needs, fixed at parse time and shared by every worker's endpoint.
struct HttpSettings {
  EndpointCommon common;
  HttpUrl url;
  std::optional<asio::ip::address> address;  // when the url's host is an IP literal: no DNS
  bhttp::verb method = bhttp::verb::post;
  std::string method_text;
  std::vector<std::pair<std::string, std::string>> headers;
  ClientTlsSettings tls;
  std::shared_ptr<asio::ssl::context> tls_context;  // https only
  std::string user_agent;

  Error fail(ErrorKind kind, const std::string& what) const {
    return make_error(kind, "endpoint '" + common.name + "': " + what);
  }
  Error timed_out(std::string_view detail = {}) const {
    std::string what = "no reply within " + std::to_string(common.timeout.count()) + " ms from " + url.text;
    if (!detail.empty()) what += " (" + std::string(detail) + ")";
    return fail(ErrorKind::timeout, what);
  }
};

// ---- the request and the reply as Values ----

Expected<std::string> header_text(const HttpSettings& settings, std::string_view name, const Value& value) {
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
      return settings.fail(ErrorKind::bad_input, "header '" + std::string(name) + "' must be a string or a number, not " +
                                                     std::string(type_name(value.type())));
  }
}

Expected<Request> build_request(const HttpSettings& settings, const CallRequest& call) {
  Request request{settings.method, settings.url.target, 11};
  request.set(bhttp::field::host, settings.url.host_header());
  request.set(bhttp::field::user_agent, settings.user_agent);
  const bool bodyless = settings.method == bhttp::verb::get || settings.method == bhttp::verb::head;
  if (!bodyless && !call.body.is_null()) {
    auto bytes = settings.common.codec->encode(call.body);
    if (!bytes) return settings.fail(ErrorKind::bad_input, "cannot encode the request: " + bytes.error().message);
    request.set(bhttp::field::content_type, settings.common.codec->content_type());
    request.body() = std::move(*bytes);
  }
  for (const auto& [name, value] : settings.headers) request.set(name, value);
  for (const auto& [name, value] : call.headers) {
    if (value.is_null() || is_managed_header(name)) continue;
    if (!is_header_name(name)) return settings.fail(ErrorKind::bad_input, "invalid header name '" + name + "'");
    auto text = header_text(settings, name, value);
    if (!text) return std::move(text).error();
    if (!is_header_value(*text)) {
      return settings.fail(ErrorKind::bad_input, "header '" + name + "' contains a line break");
    }
    request.set(name, *text);
  }
  request.keep_alive(true);
  request.prepare_payload();
  return request;
}

// The start of an error reply for messages: at most error_excerpt_bytes, cut on a UTF-8
// boundary, line breaks flattened so one error stays one log line.
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

Expected<CallResponse> to_call_response(const HttpSettings& settings, Response&& response) {
  const int status = response.result_int();
  if (status >= 400) {
    std::string what = "HTTP " + std::to_string(status) + " from " + settings.url.text;
    if (!response.body().empty()) what += ": " + excerpt(response.body());
    return settings.fail(ErrorKind::upstream, what);
  }
  CallResponse out;
  out.status = status;
  // Names in lower case (header names are case-insensitive, Lua lookups are not); repeated
  // headers joined with ", " as RFC 9110 allows.
  for (const auto& field : response) {
    const std::string name = lower(field.name_string());
    if (Value* existing = out.headers.find(name)) {
      *existing = std::string(existing->as_string()) + ", " + std::string(field.value());
    } else {
      out.headers.push_back(name, std::string(field.value()));
    }
  }
  if (!response.body().empty()) {
    auto body = settings.common.codec->decode(make_buffer(std::move(response.body())));
    if (!body) {
      return settings.fail(ErrorKind::upstream, "reply is not valid " + std::string(settings.common.codec->content_type()) +
                                                    ": " + body.error().message);
    }
    out.body = std::move(*body);
  }
  return out;
}

// ---- connecting ----

asio::awaitable<Expected<std::vector<tcp::endpoint>>> resolve(const HttpSettings& settings,
                                                              Clock::time_point deadline) {
  if (settings.address) co_return std::vector<tcp::endpoint>{tcp::endpoint(*settings.address, settings.url.port)};
  auto [ec, endpoints] = co_await resolve_by(settings.url.host, settings.url.port_text(), deadline);
  if (ec == asio::error::timed_out) {
    co_return settings.fail(ErrorKind::unavailable, "cannot resolve '" + settings.url.host + "' within " +
                                                        std::to_string(settings.common.connect_timeout.count()) + " ms");
  }
  if (ec) co_return settings.fail(ErrorKind::unavailable, "cannot resolve '" + settings.url.host + "': " + ec.message());
  co_return std::move(endpoints);
}

asio::awaitable<Expected<std::unique_ptr<Connection>>> connect(const HttpSettings& settings,
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
    auto [handshake_ec] = co_await connection->tls().async_handshake(asio::ssl::stream_base::client,
                                                                     asio::as_tuple(asio::use_awaitable));
    if (handshake_ec == beast::error::timeout || (handshake_ec && Clock::now() >= connect_deadline)) {
      co_return expired();
    }
    if (handshake_ec) {
      co_return settings.fail(ErrorKind::unavailable, "TLS handshake with " + settings.url.text + " failed: " +
                                                          describe_tls_failure(connection->tls().native_handle(), handshake_ec));
    }
  }
  connection->tcp().expires_never();
  co_return std::move(connection);
}

// ---- one request/response exchange on an open connection ----

struct Exchange {
  boost::system::error_code ec;
  bool written = false;     // the whole request went out
  bool got_reply = false;   // at least one byte of a reply arrived
  Response response;
};

template <class Stream>
asio::awaitable<Exchange> exchange(Stream& stream, Connection& connection, const Request& request,
                                   Clock::time_point deadline) {
  Exchange out;
  connection.tcp().expires_at(deadline);
  auto [write_ec, written] = co_await bhttp::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
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
    auto [read_ec, read] = co_await bhttp::async_read(stream, connection.buffer(), parser,
                                                       asio::as_tuple(asio::use_awaitable));
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

Error exchange_error(const HttpSettings& settings, const Exchange& result, Clock::time_point deadline) {
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
    return settings.fail(ErrorKind::unavailable, "cannot send the request to " + settings.url.text + ": " + ec.message());
  }
  // The request went out, so the peer may have acted on it: this is not "unavailable", which
  // promises nothing was done.
  return settings.fail(ErrorKind::upstream,
                       "connection to " + settings.url.text + " lost before a complete reply: " + ec.message());
}

asio::awaitable<Expected<CallResponse>> perform_call(std::shared_ptr<const HttpSettings> settings,
                                                     std::shared_ptr<ConnectionPool> pool, CallRequest call) {
  const auto deadline = Clock::now() + settings->common.timeout;
  auto request = build_request(*settings, call);
  if (!request) co_return std::move(request).error();

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
      result = co_await exchange(connection->tls(), *connection, *request, deadline);
    } else {
      result = co_await exchange(connection->plain(), *connection, *request, deadline);
    }
    if (!result.ec) {
      ++connection->exchanges;
      if (result.response.keep_alive()) lease->recycle();
      co_return to_call_response(*settings, std::move(result.response));
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

// ---- the plugin stages ----

class HttpEndpoint final : public Endpoint {
 public:
  explicit HttpEndpoint(std::shared_ptr<const HttpSettings> settings)
      : settings_(std::move(settings)),
        pool_(std::make_shared<ConnectionPool>(settings_->common.pool, idle_timeout)) {}
  ~HttpEndpoint() override { ConnectionPool::retire(std::move(pool_)); }

  asio::awaitable<Expected<CallResponse>> call(CallRequest request) override {
    // The coroutine holds the settings and the pool itself, so a call still in flight when the
    // endpoint goes away (end of a generation) finishes normally.
    return perform_call(settings_, pool_, std::move(request));
  }

 private:
  std::shared_ptr<const HttpSettings> settings_;
  std::shared_ptr<ConnectionPool> pool_;
};

class HttpEndpointSpec final : public EndpointSpec {
 public:
  explicit HttpEndpointSpec(std::shared_ptr<const HttpSettings> settings) : settings_(std::move(settings)) {}
  const EndpointCommon& common() const override { return settings_->common; }
  std::string describe() const override { return "http " + settings_->method_text + " " + settings_->url.text; }
  std::unique_ptr<Endpoint> instantiate(const Worker&) const override {
    return std::make_unique<HttpEndpoint>(settings_);
  }

 private:
  std::shared_ptr<const HttpSettings> settings_;
};

void parse_headers(const ConfigNode& node, const std::string& what, HttpSettings& settings, Diagnostics& diag) {
  for (const auto& [key, value] : node.entries()) {
    const std::string name = key.scalar();
    if (!is_header_name(name)) {
      diag.error(key.location(), what + ": headers: '" + name + "' is not a valid header name");
      continue;
    }
    if (is_managed_header(name)) {
      diag.error(key.location(), what + ": headers: " + name + " is set by the client itself");
      continue;
    }
    if (!value.is_scalar()) {
      diag.error(value.location(), what + ": headers: " + name + ": expected a string, found a " +
                                       std::string(value.kind_name()));
      continue;
    }
    std::string text = value.scalar();
    if (!is_header_value(text)) {
      diag.error(value.location(), what + ": headers: " + name + ": value contains a line break");
      continue;
    }
    settings.headers.emplace_back(name, std::move(text));
  }
}

// `node` is the tls block, or absent; `config` is the endpoint's block, where errors about an
// absent tls block point.
void parse_tls(const std::optional<ConfigNode>& node, const ConfigNode& config, const std::string& what,
               HttpSettings& settings, Diagnostics& diag) {
  const std::size_t errors_before = diag.errors().size();
  const Location where = node ? node->location() : config.location();
  const ConfigNode block = node ? *node : ConfigNode();
  settings.tls = parse_client_tls(block, where, settings.url.host, what, diag);
  if (!settings.url.tls) {
    if (node) diag.error(where, what + ": tls: set for a plain http:// url; use https://");
    return;
  }
  if (diag.errors().size() != errors_before) return;
  settings.tls_context = make_client_tls_context(settings.tls, block, where, what, diag);
}

class HttpEndpointKind final : public EndpointKind {
 public:
  std::string_view name() const override { return "http"; }
  std::string_view description() const override {
    return "HTTP/1.1 client: one request per call, keep-alive connections pooled per worker, HTTPS with "
           "verification and mutual TLS";
  }
  Schema schema() const override { return http_keys; }
  std::string_view default_codec() const override { return "json"; }

  std::shared_ptr<const EndpointSpec> parse(const ConfigNode& config, EndpointCommon common,
                                            Diagnostics& diag) const override {
    const std::string what = "endpoint '" + common.name + "': http";
    const std::size_t errors_before = diag.errors().size();
    ConfigReader reader(config, http_keys, diag, what);
    auto settings = std::make_shared<HttpSettings>();
    settings->user_agent = std::string("qiao/") + version_string;

    bool url_ok = false;
    if (auto node = reader.node("url"); node && node->is_scalar()) {
      auto url = parse_http_url(node->scalar());
      if (url) {
        settings->url = std::move(*url);
        url_ok = true;
        boost::system::error_code ec;
        auto address = asio::ip::make_address(settings->url.host, ec);
        if (!ec) settings->address = address;
      } else {
        diag.error(node->location(), what + ": " + url.error().message);
      }
    }

    settings->method_text = upper(reader.string("method"));
    settings->method = bhttp::string_to_verb(settings->method_text);
    if (std::find(allowed_methods.begin(), allowed_methods.end(), settings->method) == allowed_methods.end()) {
      auto node = reader.node("method");
      diag.error(node ? node->location() : config.location(),
                 what + ": method '" + settings->method_text + "' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
    }

    if (auto node = reader.node("headers"); node && node->is_map()) parse_headers(*node, what, *settings, diag);

    // A tls value that is not a mapping was already reported by the reader's type check.
    auto tls_node = reader.node("tls");
    if (url_ok && (!tls_node || tls_node->is_map() || tls_node->is_null())) {
      parse_tls(tls_node, config, what, *settings, diag);
    }

    // The core reports a codec it cannot create, and then passes none; say so only if nobody did.
    if (!common.codec && diag.ok()) diag.error(config.location(), what + ": no codec for the request and reply bodies");
    if (!common.codec) return nullptr;
    if (diag.errors().size() != errors_before) return nullptr;
    settings->common = std::move(common);
    return std::make_shared<HttpEndpointSpec>(std::move(settings));
  }
};

}  // namespace

std::unique_ptr<EndpointKind> make_http_endpoint_kind() { return std::make_unique<HttpEndpointKind>(); }

}  // namespace qiao::http
