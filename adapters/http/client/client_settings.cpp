#include "adapters/http/client/client_settings.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <cctype>

namespace qiao::http {

namespace {

// Framing and hop-by-hop headers: the client sets these itself, and a flow that copies an
// incoming request's headers onto a call must not carry the old framing along.
constexpr std::array<std::string_view, 8> managed_headers = {
    "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"};

}  // namespace

Error ClientSettings::fail(ErrorKind kind, const std::string& what) const {
  return make_error(kind, "endpoint '" + common.name + "': " + what);
}

Error ClientSettings::timed_out(std::string_view detail) const {
  std::string what = "no reply within " + std::to_string(common.timeout.count()) + " ms from " + url.text;
  if (!detail.empty()) what += " (" + std::string(detail) + ")";
  return fail(ErrorKind::timeout, what);
}

bool is_managed_header(std::string_view name) {
  return std::any_of(managed_headers.begin(), managed_headers.end(),
                     [&](std::string_view managed) { return boost::beast::iequals(managed, name); });
}

bool is_header_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool is_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool parse_client_url(const ConfigReader& reader, const std::string& what, ClientSettings& settings,
                      Diagnostics& diag) {
  auto node = reader.node("url");
  if (!node || !node->is_scalar()) return false;
  auto url = parse_http_url(node->scalar());
  if (!url) {
    diag.error(node->location(), what + ": " + url.error().message);
    return false;
  }
  settings.url = std::move(*url);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(settings.url.host, ec);
  if (!ec) settings.address = address;
  return true;
}

void parse_client_headers(const ConfigReader& reader, const std::string& what, ClientSettings& settings,
                          Diagnostics& diag) {
  auto node = reader.node("headers");
  if (!node || !node->is_map()) return;
  for (const auto& [key, value] : node->entries()) {
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
      diag.error(value.location(),
                 what + ": headers: " + name + ": expected a string, found a " + std::string(value.kind_name()));
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

void parse_client_tls_block(const ConfigReader& reader, const std::string& what, ClientSettings& settings,
                            Diagnostics& diag) {
  // A tls value that is not a mapping was already reported by the reader's type check.
  auto node = reader.node("tls");
  if (node && !node->is_map() && !node->is_null()) return;
  const std::size_t errors_before = diag.errors().size();
  // Errors about an absent tls block point at the endpoint's block.
  const Location where = node ? node->location() : reader.mapping().location();
  const ConfigNode block = node ? *node : ConfigNode();
  settings.tls = parse_client_tls(block, where, settings.url.host, what, diag);
  if (!settings.url.tls) {
    if (node) diag.error(where, what + ": tls: set for a plain http:// url; use https://");
    return;
  }
  if (diag.errors().size() != errors_before) return;
  settings.tls_context = make_client_tls_context(settings.tls, block, where, what, diag);
}

}  // namespace qiao::http
