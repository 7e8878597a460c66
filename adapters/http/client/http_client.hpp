#pragma once
// The transport under the endpoints that speak HTTP (http, soap): one worker's client to one
// URL. It sends a request and hands back the reply of whatever status — what a status means is
// the endpoint's business — and fails only when the exchange itself fails: timeout (the whole
// call, pool wait, DNS, connect, TLS, write and read within the endpoint's `timeout`),
// unavailable (nothing was sent) or upstream (the peer broke off or sent no valid HTTP).
//
// Keep-alive connections come from a per-worker ConnectionPool; a reused connection the peer had
// closed while idle is retried once on a fresh one, when the peer cannot have seen the request.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/http/client/client_settings.hpp"
#include "adapters/http/client/connection_pool.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// A reply larger than this is refused rather than buffered: one runaway peer must not take the
// worker's memory.
inline constexpr std::uint64_t response_body_limit = 64ull * 1024 * 1024;
inline constexpr std::uint32_t response_header_limit = 64 * 1024;

// A cheap handle (two shared pointers): the endpoint keeps one per worker and each call's
// coroutine copies it, so a call still in flight when the endpoint goes away (end of a
// generation) finishes normally. Used on its worker's thread only.
class HttpClient {
 public:
  explicit HttpClient(std::shared_ptr<const ClientSettings> settings);

  const ClientSettings& settings() const { return *settings_; }

  // A keep-alive request for the url's target with Host and User-Agent set.
  Request make_request(boost::beast::http::verb method) const;

  // The configured headers, then the call's, which override them by name (numbers and booleans
  // as text, null skipped, framing and hop-by-hop headers dropped). An unusable name or value
  // is a bad_input error.
  Status add_headers(Request& request, const Object& call_headers) const;

  // One exchange within the endpoint's timeout, from now. prepare_payload() is the caller's.
  boost::asio::awaitable<Expected<Response>> send(Request request) const;

  // Closes the pool's idle connections and those released from now on; for the endpoint's
  // destructor, on any thread.
  void retire();

 private:
  std::shared_ptr<const ClientSettings> settings_;
  std::shared_ptr<ConnectionPool> pool_;
};

// The reply's headers with lower-case names (header names are case-insensitive, Lua lookups
// are not); repeated headers joined with ", " as RFC 9110 allows.
Object reply_headers(const Response& response);

// The start of a reply body for messages: at most 200 bytes, cut on a UTF-8 boundary, line
// breaks flattened so one error stays one log line.
std::string excerpt(std::string_view body);

// The upstream error for a reply with status ≥ 400: "HTTP 500 from URL: <excerpt>".
Error status_error(const ClientSettings& settings, const Response& response);

}  // namespace qiao::http
