// The promise hospitals buy: flows are reloaded while requests keep coming, and not one fails.
// Clients hammer the gateway over keep-alive and fresh connections while the flows are reloaded
// 60 times (admin API, SIGHUP and file changes; new Lua, and now and then a broken flow).

#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

std::string version_flow(int port, int version) {
  return "id: version\nsource:\n  http: { listen: \"127.0.0.1:" + std::to_string(port) +
         "\", path: /api/version, methods: [POST] }\n  decode: json\nsteps:\n  - call: { endpoint: backend, into: "
         "backend }\n"
         "reply:\n  lua: |\n    return { version = \"v" +
         std::to_string(version) + "\", n = body.n, echoed = vars.backend.n }\n";
}

std::string backend_flow(int port) {
  return "id: backend\nsource:\n  http: { listen: \"127.0.0.1:" + std::to_string(port) +
         "\", path: /backend, methods: [POST] }\n  decode: json\nreply:\n  lua: 'return { n = body.n }'\n";
}

struct Load {
  std::atomic<bool> stop{false};
  std::atomic<long> ok{0};
  std::atomic<long> failed{0};
  std::mutex mutex;
  std::vector<std::string> failures;
  std::set<std::string> versions;
  std::string latest;
};

void drive(Load& load, const std::string& address, bool fresh_connections, int id) {
  HttpClient client(address, std::chrono::seconds(10));
  long n = 0;
  while (!load.stop.load()) {
    const std::string body = "{\"n\":" + std::to_string(id * 1'000'000 + n) + "}";
    HttpResult r = fresh_connections ? http_request(address, "POST", "/api/version", body)
                                     : client.request("POST", "/api/version", body);
    const bool good = r.status == 200 &&
                      r.body.find("\"n\":" + std::to_string(id * 1'000'000 + n)) != std::string::npos &&
                      r.body.find("\"echoed\":" + std::to_string(id * 1'000'000 + n)) != std::string::npos;
    std::lock_guard lock(load.mutex);
    if (good) {
      ++load.ok;
      const auto v = r.body.find("\"version\":\"");
      const std::string version = r.body.substr(v + 11, r.body.find('"', v + 11) - v - 11);
      load.versions.insert(version);
      load.latest = version;
    } else {
      ++load.failed;
      if (load.failures.size() < 20) load.failures.push_back(std::to_string(r.status) + " " + r.error + " " + r.body);
    }
    ++n;
  }
}

}  // namespace

TEST_CASE("flows reload 60 times under load without a failed request", "[integration][reload]") {
  TempDir dir;
  const int port = free_port();
  dir.write("qiao.yaml", server_config("reload-test", /*watch=*/true));
  dir.write("endpoints.yaml",
            "backend:\n  http: { url: \"http://127.0.0.1:" + std::to_string(port) + "/backend\" }\n  timeout: 5s\n");
  dir.write("flows/backend.yaml", backend_flow(port));
  dir.write("flows/version.yaml", version_flow(port, 0));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:" + std::to_string(port));
  REQUIRE(!address.empty());

  Load load;
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) clients.emplace_back(drive, std::ref(load), address, false, i);
  for (int i = 6; i < 8; ++i) clients.emplace_back(drive, std::ref(load), address, true, i);
  // The first generation answers before the first reload, however slowly the clients start.
  REQUIRE(wait_until(
      [&] {
        std::lock_guard lock(load.mutex);
        return load.versions.count("v0") == 1;
      },
      std::chrono::seconds(10)));

  int reloads = 0;
  int refused = 0;
  for (int version = 1; version <= 60; ++version) {
    if (version % 10 == 5) {
      // A broken flow: the reload fails, says where, and the previous generation keeps serving.
      dir.write("flows/version.yaml", "id: version\nsource:\n  http: { listen: \"127.0.0.1:" + std::to_string(port) +
                                          "\", path: /api/version }\nsteps:\n  - lua: 'return ((('\n");
      HttpResult r = gateway.admin_request("POST", "/api/reload");
      CHECK(r.status == 422);
      CHECK(r.body.find("version.yaml:5") != std::string::npos);
      ++refused;
      HttpResult flows = gateway.admin_request("GET", "/api/flows");
      CHECK(flows.body.find("\"ok\":false") != std::string::npos);
    }
    dir.write("flows/version.yaml", version_flow(port, version));
    if (version % 3 == 0) {
      gateway.signal(SIGHUP);
    } else {
      HttpResult r = gateway.admin_request("POST", "/api/reload");
      REQUIRE(r.status == 200);
    }
    ++reloads;
    // Replies switch to the new behaviour.
    const std::string expected = "\"version\":\"v" + std::to_string(version) + "\"";
    bool switched = false;
    for (int attempt = 0; attempt < 200 && !switched; ++attempt) {
      switched = http_request(address, "POST", "/api/version", "{\"n\":1}").body.find(expected) != std::string::npos;
      if (!switched) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(switched);
    // Let the load run on this generation a while, so swaps land amid requests in flight.
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  load.stop = true;
  for (auto& t : clients) t.join();

  INFO("failures: " << (load.failures.empty() ? std::string("none") : load.failures.front()));
  CHECK(load.failed.load() == 0);
  CHECK(load.ok.load() > 1000);
  CHECK(reloads == 60);
  CHECK(refused == 6);
  CHECK(load.versions.count("v0") == 1);
  CHECK(load.versions.count("v60") == 1);
  CHECK(load.versions.size() > 30);
  CHECK(load.latest == "v60");

  HttpResult metrics = gateway.admin_request("GET", "/metrics");
  CHECK(metrics.body.find("qiao_reloads_total{result=\"failed\"}") != std::string::npos);
  CHECK(gateway.stop() == 0);
}
