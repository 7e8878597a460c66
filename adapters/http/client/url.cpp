#include "adapters/http/client/url.hpp"

#include <boost/asio/ip/address.hpp>

#include <cctype>
#include <charconv>

namespace qiao::http {

namespace {

Error url_error(std::string_view text, std::string_view why) {
  return make_error(ErrorKind::config, "url '" + std::string(text) + "': " + std::string(why));
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  return !ec;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

bool HttpUrl::host_is_ip() const { return is_ip_literal(host); }

std::string HttpUrl::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + port_text();
  return out;
}

Expected<HttpUrl> parse_http_url(std::string_view text) {
  HttpUrl url;
  url.text = std::string(text);
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return url_error(text, "contains a space or a control character (percent-encode it)");
    }
  }
  const auto scheme_end = text.find("://");
  std::string scheme(text.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "https") {
    url.tls = true;
  } else if (scheme != "http") {
    return url_error(text, "must start with http:// or https://");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  if (authority.find('@') != std::string_view::npos) {
    return url_error(text, "credentials in the url are not supported; send them in headers (Authorization)");
  }
  if (target.find('#') != std::string_view::npos) {
    return url_error(text, "has a fragment (#…), which is never sent to the server");
  }

  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return url_error(text, "IPv6 address without closing ']'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return url_error(text, "unexpected text after the IPv6 address");
    if (!after.empty()) port = after.substr(1);
    if (!is_ip_literal(std::string(host)) || host.find(':') == std::string_view::npos) {
      return url_error(text, "'" + std::string(host) + "' is not an IPv6 address");
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return url_error(text, "':' without a port number");
    }
    for (char c : host) {
      if (!is_host_char(c)) return url_error(text, "host '" + std::string(host) + "' has an invalid character");
    }
  }
  if (host.empty()) return url_error(text, "has no host");
  url.host = std::string(host);
  for (char& c : url.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  url.port = url.tls ? 443 : 80;
  if (authority.back() == ':' && port.empty()) return url_error(text, "':' without a port number");
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return url_error(text, "port '" + std::string(port) + "' is not a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  if (target.empty() || target.front() == '?') {
    url.target = "/" + std::string(target);
  } else {
    url.target = std::string(target);
  }
  return url;
}

}  // namespace qiao::http
