// A source kind an adapter adds to the http listener with no change to core or to the http
// adapter: its spec is an HttpServedSource with a ServiceMounter, as soap's is. Its flows share
// the listener of the http flows on their address, and a mounted path an http route also serves
// is a load error.

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/http/register.hpp"
#include "adapters/http/server/http_served_source.hpp"
#include "adapters/http/server/mounted_service.hpp"
#include "core/flow/flow.hpp"
#include "core/generation.hpp"
#include "tests/unit/core/flow_harness.hpp"

using namespace qiao;

namespace {

// Answers 204 on its path; what the listener asked it to mount is kept for the test.
class PingService final : public http::MountedService {
 public:
  explicit PingService(std::string path) : paths_{std::move(path)} {}
  const std::vector<std::string>& paths() const override { return paths_; }
  boost::asio::awaitable<http::Response> handle(http::Request request, const http::ConnectionInfo&,
                                                std::shared_ptr<const Generation>, bool, Host&) const override {
    http::Response response{boost::beast::http::status::no_content, request.version()};
    co_return response;
  }
  http::Response reject(Error, int status, const http::ConnectionInfo&, Host&) const override {
    return http::Response{static_cast<boost::beast::http::status>(status), 11};
  }

 private:
  std::vector<std::string> paths_;
};

struct PingSpec final : http::HttpServedSource {
  std::string path;
  std::string describe() const override { return "ping " + listen.str() + path; }
};

class PingMounter final : public http::ServiceMounter {
 public:
  std::string_view name() const override { return "ping"; }
  std::shared_ptr<const http::MountedService> mount(std::string_view key, std::span<const Flow* const> flows,
                                                    Diagnostics&) const override {
    for (const Flow* flow : flows) mounted[std::string(key)].push_back(flow->id);
    return std::make_shared<PingService>(static_cast<const PingSpec&>(*flows.front()->source).path);
  }
  mutable std::map<std::string, std::vector<std::string>> mounted;
};

constexpr ConfigKey ping_keys[] = {
    {"listen", KeyType::string, "", "host:port", true},
    {"path", KeyType::string, "", "path", true},
};

class PingSourceKind final : public SourceKind {
 public:
  std::string_view name() const override { return "ping"; }
  std::string_view description() const override { return "test source mounted on the http listener"; }
  Schema schema() const override { return ping_keys; }
  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    ConfigReader reader(config, ping_keys, diag, "ping source");
    auto spec = std::make_unique<PingSpec>();
    spec->location = config.location();
    spec->listen = *parse_host_port(reader.string("listen"));
    spec->path = reader.string("path");
    spec->mounter = &mounter;
    return spec;
  }
  PingMounter mounter;
};

}  // namespace

TEST_CASE("http listener: a source kind a test adds is mounted beside the http flows of its address",
          "[http][listener]") {
  Plugins plugins;
  REQUIRE(http::register_plugins(plugins));
  auto ping = std::make_unique<PingSourceKind>();
  const PingMounter& mounter = ping->mounter;
  REQUIRE(plugins.sources.add(std::move(ping)));

  const auto loaded = flow_test::load_flows(
      plugins, {{"api.yaml", "id: api\nsource:\n  http: { listen: '127.0.0.1:18555', path: /api }\n"},
                {"ping.yaml", "id: ping\nsource:\n  ping: { listen: '127.0.0.1:18555', path: /ping }\n"},
                {"other.yaml", "id: other\nsource:\n  ping: { listen: '127.0.0.1:18556', path: /ping }\n"}});
  INFO((loaded.errors.empty() ? std::string() : loaded.errors.front()));
  REQUIRE(loaded.generation);
  const auto& listeners = loaded.generation->listeners();
  REQUIRE(listeners.size() == 2);
  CHECK(listeners.at("http 127.0.0.1:18555").flows.size() == 2);
  CHECK(listeners.at("http 127.0.0.1:18555").kind->name() == "http");
  CHECK(mounter.mounted == std::map<std::string, std::vector<std::string>>{{"http 127.0.0.1:18555", {"ping"}},
                                                                           {"http 127.0.0.1:18556", {"other"}}});
}

TEST_CASE("http listener: an http route on a path a mounted service serves fails the load", "[http][listener]") {
  Plugins plugins;
  REQUIRE(http::register_plugins(plugins));
  REQUIRE(plugins.sources.add(std::make_unique<PingSourceKind>()));
  const auto loaded = flow_test::load_flows(
      plugins, {{"api.yaml", "id: api\nsource:\n  http: { listen: '127.0.0.1:18555', path: /ping }\n"},
                {"ping.yaml", "id: ping\nsource:\n  ping: { listen: '127.0.0.1:18555', path: /ping }\n"}});
  CHECK_FALSE(loaded.generation);
  REQUIRE(loaded.errors.size() == 1);
  CHECK_THAT(loaded.errors.front(), Catch::Contains("flow 'api' serves 127.0.0.1:18555/ping, where a ping service is"));
}
