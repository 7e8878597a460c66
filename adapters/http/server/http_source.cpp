#include "adapters/http/server/http_source.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/http/verb.hpp>

#include "adapters/http/server/http_source_spec.hpp"
#include "adapters/http/server/listener_settings.hpp"
#include "core/text/ascii.hpp"

namespace qiao::http {

namespace bhttp = boost::beast::http;

namespace {

constexpr auto source_keys = with_listener_settings(std::array<ConfigKey, 3>{{
    {"listen", KeyType::string, "", "address to listen on, host:port (port 0 picks a free one)", true},
    {"path", KeyType::string, "", "request path; a trailing /* matches every path under it", true},
    {"methods", KeyType::strings, "", "accepted methods (default: any); others get 405"},
}});

class HttpSourceKind final : public SourceKind {
 public:
  std::string_view name() const override { return "http"; }
  std::string_view description() const override { return "HTTP/1.1 and HTTPS server, routed by method and path"; }
  Schema schema() const override { return source_keys; }

  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    const std::size_t errors_before = diag.errors().size();
    ConfigReader reader(config, source_keys, diag, "http source");
    auto spec = std::make_unique<HttpSourceSpec>();
    spec->location = config.location();
    if (reader.has("listen")) {
      auto address = parse_host_port(reader.string("listen"));
      if (!address)
        diag.error(reader.node("listen")->location(),
                   "listen: expected host:port, found '" + reader.string("listen") + "'");
      else spec->listen = *address;
    }
    std::string path = reader.string("path");
    if (reader.has("path") && (path.empty() || path.front() != '/')) {
      diag.error(reader.node("path")->location(), "path must start with '/'");
    }
    if (path.ends_with("*")) {
      spec->prefix = true;
      path.pop_back();
    }
    spec->path = path;
    for (auto method : reader.strings("methods")) {
      method = ascii_upper(method);
      if (bhttp::string_to_verb(method) == bhttp::verb::unknown) {
        diag.error(reader.node("methods")->location(), "unknown HTTP method '" + method + "'");
      }
      spec->methods.push_back(method);
    }
    spec->settings = read_listener_settings(reader);
    if (diag.errors().size() != errors_before) return nullptr;
    return spec;
  }
};

}  // namespace

std::unique_ptr<SourceKind> make_http_source_kind() { return std::make_unique<HttpSourceKind>(); }

}  // namespace qiao::http
