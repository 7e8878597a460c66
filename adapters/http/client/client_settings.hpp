#pragma once
// What an HTTP client needs to reach its peer, read from the keys every endpoint kind on the
// HTTP client shares (`url`, `headers`, `tls`): the http and soap endpoints parse them with the
// same code, so they accept the same words and report the same errors.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/client/url.hpp"
#include "core/config/schema.hpp"
#include "core/endpoint.hpp"
#include "core/error.hpp"
#include "core/net/client_tls.hpp"
#include "qiao/version.hpp"

namespace qiao::http {

inline constexpr ConfigKey client_url_key{"url", KeyType::string, "",
                                          "Where requests go: http:// or https://host[:port]/path[?query].", true};
inline constexpr ConfigKey client_headers_key{
    "headers", KeyType::mapping, "",
    "Fixed headers sent with every request, as name: value. Headers a call sets override them; "
    "Content-Length, Transfer-Encoding and Connection are managed by the client."};
inline constexpr ConfigKey client_tls_key{
    "tls", KeyType::mapping, "",
    "HTTPS settings, https:// urls only: verify (default true), ca (PEM CA file; default the system trust "
    "store), server_name (name to verify and send as SNI; default the url's host), cert and key (PEM client "
    "certificate and key for mutual TLS). Relative paths are from the working directory."};

// Fixed at parse time and shared by every worker's client.
struct ClientSettings {
  EndpointCommon common;  // name (for messages), timeouts, pool bound, codec
  HttpUrl url;
  std::optional<boost::asio::ip::address> address;  // when the url's host is an IP literal: no DNS
  std::vector<std::pair<std::string, std::string>> headers;
  ClientTlsSettings tls;
  std::shared_ptr<boost::asio::ssl::context> tls_context;  // https only
  std::string user_agent = std::string("qiao/") + version_string;

  // "endpoint '<name>': <what>"
  Error fail(ErrorKind kind, const std::string& what) const;
  // "no reply within N ms from URL (detail)", a timeout error.
  Error timed_out(std::string_view detail = {}) const;
};

// Framing and hop-by-hop headers (Content-Length, Connection, …): the client sets these itself.
bool is_managed_header(std::string_view name);
// RFC 9110 token characters.
bool is_header_name(std::string_view name);
// No CR, LF or NUL.
bool is_header_value(std::string_view value);

// Each reads its key through `reader` (whose schema holds the shared key above) into
// `settings`, reporting as "<what>: …" at the offending node. parse_client_url returns whether
// the url is usable; parse_client_tls_block needs it parsed first (https or not, the host).
bool parse_client_url(const ConfigReader& reader, const std::string& what, ClientSettings& settings, Diagnostics& diag);
void parse_client_headers(const ConfigReader& reader, const std::string& what, ClientSettings& settings,
                          Diagnostics& diag);
void parse_client_tls_block(const ConfigReader& reader, const std::string& what, ClientSettings& settings,
                            Diagnostics& diag);

}  // namespace qiao::http
