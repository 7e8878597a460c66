#include "adapters/http/client/url.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>

#include "core/text/ascii.hpp"

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

bool is_host_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'; }

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
  // A path or query written with Chinese characters in the YAML is sent percent-encoded, as a
  // browser sends it; Boost.URL (RFC 3986) takes only ASCII.
  std::string ascii;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x80) {
      ascii += c;
    } else {
      static constexpr char hex[] = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(c);
      ascii += {'%', hex[byte >> 4], hex[byte & 0xf]};
    }
  }
  auto parsed = boost::urls::parse_uri(boost::urls::string_view(ascii.data(), ascii.size()));
  if (!parsed) {
    if (ascii.find("://") == std::string::npos) return url_error(text, "must start with http:// or https://");
    return url_error(text, "is not a valid URL (" + parsed.error().message() + ")");
  }
  const boost::urls::url_view& u = *parsed;
  if (u.scheme_id() == boost::urls::scheme::https) url.tls = true;
  else if (u.scheme_id() != boost::urls::scheme::http) return url_error(text, "must start with http:// or https://");
  if (u.has_userinfo())
    return url_error(text, "credentials in the url are not supported; send them in headers (Authorization)");
  if (u.has_fragment()) return url_error(text, "has a fragment (#…), which is never sent to the server");

  switch (u.host_type()) {
    case boost::urls::host_type::ipv6: url.host = u.host_ipv6_address().to_string(); break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name: url.host = std::string(u.encoded_host()); break;
    default: return url_error(text, "'" + std::string(u.encoded_host()) + "' is not a host name or an IP address");
  }
  if (url.host.empty()) return url_error(text, "has no host");
  for (char& c : url.host) {
    if (u.host_type() == boost::urls::host_type::name && !is_host_char(c))
      return url_error(text, "host '" + std::string(u.encoded_host()) + "' has an invalid character");
    c = ascii_lower(c);
  }

  url.port = url.tls ? 443 : 80;
  if (u.has_port()) {
    const std::string_view port(u.port().data(), u.port().size());
    if (port.empty()) return url_error(text, "':' without a port number");
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return url_error(text, "port '" + std::string(port) + "' is not a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  url.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) url.target += "?" + std::string(u.encoded_query());
  return url;
}

}  // namespace qiao::http
