// The journal's levels and business keys on a running gateway: rows found by key through the
// admin API and `qiao messages list|replay --key`, a metadata flow's rows without bytes, a
// journal: none flow without rows, and the back-pressure metrics on /metrics.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

std::string http_flow(const std::string& id, int port, const std::string& journal) {
  return "id: " + id + "\nsource:\n  http: { listen: \"127.0.0.1:" + std::to_string(port) + "\", path: /" + id +
         ", methods: [POST] }\n  decode: json\n" + journal + "reply:\n  lua: 'return { ok = true }'\n";
}

}  // namespace

TEST_CASE("journal on a gateway: rows found by business key, metadata without bytes, none without rows",
          "[integration][journal]") {
  TempDir dir;
  const int port = free_port();
  dir.write("qiao.yaml", server_config("journal-keys"));
  dir.write("endpoints.yaml", "{}\n");
  dir.write("flows/orders.yaml",
            http_flow("orders", port, "journal:\n  keys: { patient: body.patientId, order: body.orderNo }\n"));
  dir.write("flows/vitals.yaml",
            http_flow("vitals", port, "journal: { level: metadata, keys: { patient: body.patientId } }\n"));
  dir.write("flows/heartbeat.yaml", http_flow("heartbeat", port, "journal: none\n"));
  GatewayProcess gateway(dir);
  INFO(gateway.output());
  const std::string address = "127.0.0.1:" + std::to_string(port);
  auto post = [&](const std::string& path, const std::string& body) {
    return http_request(address, "POST", path, body, {{"Content-Type", "application/json"}}).status;
  };
  CHECK(post("/orders", R"({"patientId":"P-1","orderNo":"O-1"})") == 200);
  CHECK(post("/orders", R"({"patientId":"P-2","orderNo":"O-2"})") == 200);
  CHECK(post("/orders", R"({"patientId":"P-1","orderNo":"O-3"})") == 200);
  CHECK(post("/vitals", R"({"patientId":"P-1","pulse":72})") == 200);
  CHECK(post("/heartbeat", "{}") == 200);
  REQUIRE(wait_until([&] { return count_of(gateway.admin_request("GET", "/api/messages").body, "\"id\":") == 4; }, 5s));

  const std::string p1 = gateway.admin_request("GET", "/api/messages?key.patient=P-1").body;
  INFO(p1);
  CHECK(count_of(p1, "\"id\":") == 3);
  CHECK_THAT(p1, Catch::Contains(R"("keys":{"patient":"P-1","order":"O-3"})"));
  // The vitals row: its keys and sizes, not its bytes.
  CHECK_THAT(p1, Catch::Contains(R"("request":"","requestSize":30,"requestTruncated":true)"));
  CHECK(count_of(gateway.admin_request("GET", "/api/messages?key.patient=P-1&key.order=O-1").body, "\"id\":") == 1);
  CHECK(count_of(gateway.admin_request("GET", "/api/messages?flow=heartbeat").body, "\"id\":") == 0);
  CHECK(gateway.admin_request("GET", "/api/messages?key.patient=").status == 400);

  const auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {QIAO_BINARY, "messages"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"-c", "qiao.yaml", "--admin", gateway.admin()});
    return run_command(argv, "", dir.path());
  };
  const CommandResult listed = cli({"list", "--key", "patient=P-1", "--key", "order=O-3"});
  INFO(listed.output);
  CHECK(listed.status == 0);
  CHECK(count_of(listed.output, " orders ") == 1);
  CHECK(cli({"list", "--key", "patient"}).status == 2);
  const CommandResult dry = cli({"replay", "--key", "patient=P-2", "--dry-run"});
  INFO(dry.output);
  CHECK(dry.status == 0);
  CHECK_THAT(dry.output, Catch::Contains("would replay 1 message(s)"));

  const std::string metrics = gateway.admin_request("GET", "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("qiao_journal_admission_waits_total 0"));
  CHECK_THAT(metrics, Catch::Contains("qiao_journal_queue_bound 65536"));
  CHECK_THAT(metrics, Catch::Contains("qiao_messages_total{flow=\"heartbeat\",outcome=\"ok\"} 1"));
  CHECK_THAT(metrics, Catch::Contains("qiao_journal_key_errors_total{flow=\"orders\"} 0"));
  CHECK(gateway.stop() == 0);
}
