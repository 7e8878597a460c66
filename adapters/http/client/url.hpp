#pragma once
// The URL an HTTP endpoint sends to, split into what a connection and a request need.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace qiao::http {

struct HttpUrl {
  bool tls = false;  // https
  std::string host;  // lower case; an IPv6 address without its brackets
  std::uint16_t port = 0;
  std::string target;  // path and query as sent in the request line, at least "/"
  std::string text;    // the URL as written, for messages

  bool host_is_ip() const;
  std::string port_text() const { return std::to_string(port); }
  // The Host header: the port only when it is not the scheme's default.
  std::string host_header() const;
};

// Accepts http:// and https:// URLs with a host, an optional port and an optional path and
// query. Credentials in the URL and fragments are refused: the first would end up in logs, the
// second is never sent. The error is a config-kind Error without a location.
Expected<HttpUrl> parse_http_url(std::string_view text);

}  // namespace qiao::http
