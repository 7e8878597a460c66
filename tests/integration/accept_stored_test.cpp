// Accept first, process after (`accept: stored`, Mirth's source queue): the sender is answered as
// soon as its message is on disk, and the flow runs from the flow's own queue — through a LIS
// outage and a kill -9 — in order per patient. The LIS is lis_peer.py (python3-hl7's MLLP
// server), the HTTP peer counting_http_peer.py; every wait is on an event and bounded.

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/counting_http_peer.hpp"
#include "tests/integration/support/gateway_process.hpp"
#include "tests/integration/support/lis_peer.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

// The flow calls the LIS (request-reply, no send step): with accept: stored the HIS has its AA
// long before, and a LIS that is down fails the run, which the inbound queue retries.
std::string adt_flow(int port) {
  return "id: adt-in\n"
         "source:\n"
         "  tcp: { listen: \"127.0.0.1:" +
         std::to_string(port) +
         "\", framing: mllp }\n"
         "  decode: hl7v2\n"
         "  accept:\n"
         "    mode: stored\n"
         "    order_by: 'hl7.get(body, \"PID-3.1\")'\n"
         "    retry: { attempts: 1000, backoff: 100ms, max_backoff: 500ms }\n"
         "steps:\n"
         "  - check: { lua: 'hl7.get(body, \"PID-3.1\") ~= \"BAD\"', message: 'patient BAD is refused' }\n"
         "  - lua: 'if hl7.get(body, \"PID-3.1\") == \"GONE\" then qiao.fail(\"rejected\", \"patient GONE was "
         "merged\") end'\n"
         "  - call: { endpoint: lis }\n";
}

std::string lis_endpoint(int lis_port) {
  return "lis:\n"
         "  tcp: { connect: \"127.0.0.1:" +
         std::to_string(lis_port) +
         "\", framing: mllp, check_ack: true,\n"
         "         reconnect: { initial: 100ms, max: 500ms } }\n"
         "  codec: hl7v2\n"
         "  timeout: 5s\n";
}

std::string adt(const std::string& control_id, const std::string& patient) {
  return "MSH|^~\\&|HIS|HOSP01|LIS|LAB01|20261204083000||ADT^A08^ADT_A01|" + control_id +
         "|P|2.5\r"
         "EVN|A08|20261204083000\r"
         "PID|1||" +
         patient +
         "^^^HOSP01^MR||Zhang^San||19900307|M\r"
         "PV1|1|I|W07^701^1\r";
}

// Stored messages of the flow not yet run to the end, the one running included.
double depth(const GatewayProcess& gateway) {
  return gateway.metric("qiao_queue_depth{endpoint=\"flow:adt-in\"}").value_or(-1);
}

// Per patient, the control ids in the order the LIS first saw them.
std::map<std::string, std::vector<std::string>> first_arrivals_by_patient(const std::vector<LisArrival>& arrivals) {
  std::map<std::string, std::vector<std::string>> by_patient;
  std::map<std::string, bool> seen;
  for (const LisArrival& a : arrivals) {
    if (seen[a.control_id]) continue;
    seen[a.control_id] = true;
    by_patient[a.patient].push_back(a.control_id);
  }
  return by_patient;
}

}  // namespace

TEST_CASE(
    "accept stored: the HIS gets AA while the LIS is down and a kill -9 comes, the LIS gets every message in order",
    "[integration][accept_stored]") {
  TempDir dir;
  LisPeer lis(dir.path());
  const int lis_port = lis.start();
  lis.stop();  // the port is known and nobody listens on it: the LIS is down from the start
  const int port = free_port();
  dir.write("qiao.yaml", server_config("accept-stored"));
  dir.write("endpoints.yaml", lis_endpoint(lis_port));
  dir.write("flows/adt.yaml", adt_flow(port));
  auto gateway = std::make_unique<GatewayProcess>(dir);
  INFO(gateway->output());

  // 40 messages for 4 patients, each acknowledged once stored; none can reach the LIS yet.
  MllpSender his("127.0.0.1:" + std::to_string(port));
  std::map<std::string, std::vector<std::string>> sent_by_patient;
  for (int i = 0; i < 40; ++i) {
    char control[16];
    std::snprintf(control, sizeof control, "AS%03d", i);
    const std::string patient = "P" + std::to_string(i % 4);
    const auto ack = his.send(adt(control, patient));
    REQUIRE(ack);
    CHECK(ack_code(*ack) == "AA");
    CHECK(ack->find(std::string("MSA|AA|") + control) != std::string::npos);
    sent_by_patient[patient].push_back(control);
    if (i == 19) {
      // Half of them stored, the gateway dies without a word and comes back.
      his.disconnect();
      gateway->signal(SIGKILL);
      gateway->stop();
      gateway = std::make_unique<GatewayProcess>(dir);
    }
  }
  CHECK(wait_until([&] { return depth(*gateway) == 40; }, 10s));
  CHECK(lis.arrivals().empty());

  // Bad input is still refused at once, in HL7, and never queued.
  const auto refused = his.send("this is not HL7");
  REQUIRE(refused);
  CHECK((ack_code(*refused) == "AR" || ack_code(*refused) == "AE"));
  // A message the flow refuses for what it is becomes a dead letter at its first run.
  // So does one a Lua step fails as rejected.
  for (const auto& [control, patient] : {std::pair{"AS-BAD", "BAD"}, std::pair{"AS-GONE", "GONE"}}) {
    const auto doomed = his.send(adt(control, patient));
    REQUIRE(doomed);
    CHECK(ack_code(*doomed) == "AA");
  }

  lis.start(lis_port);
  REQUIRE(wait_until([&] { return lis.arrivals().size() >= 40 && depth(*gateway) == 0; }, 60s));
  const auto arrivals = lis.arrivals();
  CHECK(first_arrivals_by_patient(arrivals) == sent_by_patient);
  for (const LisArrival& a : arrivals) CHECK((a.patient != "BAD" && a.patient != "GONE"));
  std::printf("accept stored: %zu arrivals for 40 messages (%zu again after the kill)\n", arrivals.size(),
              arrivals.size() - 40);
  CHECK(gateway->metric("qiao_queue_dead_letters{endpoint=\"flow:adt-in\"}") == 2.0);
  CHECK(gateway->metric("qiao_queue_retries_total{endpoint=\"flow:adt-in\"}") >= 1.0);  // the outage
  const HttpResult dead = gateway->admin_request("GET", "/api/queues/dead?endpoint=flow:adt-in");
  CHECK_THAT(dead.body, Catch::Contains("patient BAD is refused") && Catch::Contains("patient GONE was merged"));
  CHECK_THAT(dead.body, Catch::Contains("\"attempts\":1,"));
  CHECK(gateway->stop() == 0);
}

TEST_CASE("accept stored: an HTTP sender gets 202 with the message id, and the journal then has the flow's outcome",
          "[integration][accept_stored]") {
  TempDir dir;
  CountingHttpPeer emr(dir.path());
  const int port = free_port();
  dir.write("qiao.yaml", server_config("accept-stored-http"));
  dir.write("endpoints.yaml", "emr: { http: { url: \"" + emr.url("/notes") + "\" } }\n");
  dir.write("flows/notes.yaml",
            "id: notes\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:" +
                std::to_string(port) +
                "\", path: /notes, methods: [POST] }\n"
                "  decode: json\n"
                "  accept: stored\n"
                "steps:\n"
                "  - check: { required: [patient] }\n"
                "  - call: { endpoint: emr, lua: 'return { patient = body.patient, amount = body.amount }' }\n");
  GatewayProcess gateway(dir);
  INFO(gateway.output());

  const HttpResult stored =
      http_request("127.0.0.1:" + std::to_string(port), "POST", "/notes", "{\"patient\":\"P-77\",\"amount\":12.50}",
                   {{"Content-Type", "application/json"}});
  CHECK(stored.status == 202);
  const std::string id = stored.header("x-message-id");
  REQUIRE(!id.empty());
  CHECK(stored.body == "{\"messageId\":\"" + id + "\",\"status\":\"stored\"}");
  REQUIRE(wait_until([&] { return read_file(emr.log_path()).find("P-77") != std::string::npos; }, 10s));
  // The value the flow did not touch went on as it came.
  CHECK_THAT(read_file(emr.log_path()), Catch::Contains("12.50"));
  REQUIRE(wait_until(
      [&] {
        const HttpResult row = gateway.admin_request("GET", "/api/messages?id=" + id);
        return row.body.find("\"outcome\":\"ok\"") != std::string::npos &&
               row.body.find("\"status\":202") == std::string::npos;
      },
      10s));

  // Undecodable JSON is refused now, with 400, and nothing is stored.
  const HttpResult broken = http_request("127.0.0.1:" + std::to_string(port), "POST", "/notes",
                                         "{\"patient\":", {{"Content-Type", "application/json"}});
  CHECK(broken.status == 400);
  CHECK(gateway.metric("qiao_queue_depth{endpoint=\"flow:notes\"}") == 0.0);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("accept stored: refused where the answer must come from the flow", "[integration][accept_stored]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("accept-stored-check"));
  dir.write("endpoints.yaml", "{}\n");
  dir.write("flows/pos.yaml",
            "id: pos\n"
            "source:\n"
            "  tcp: { listen: \"127.0.0.1:0\", framing: { length: 2, encoding: binary } }\n"
            "  accept: stored\n");
  dir.write("flows/typo.yaml",
            "id: typo\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:0\", path: /x }\n"
            "  accept: { mode: later }\n");
  const CommandResult checked = run_command({QIAO_BINARY, "check", "-c", "qiao.yaml"}, "", dir.path());
  INFO(checked.output);
  CHECK(checked.status != 0);
  CHECK_THAT(checked.output, Catch::Contains("flows/pos.yaml") &&
                                 Catch::Contains("accept: stored answers with the listener's own HL7"));
  CHECK_THAT(checked.output,
             Catch::Contains("flows/typo.yaml") && Catch::Contains("accept: expected reply or stored, not 'later'"));
}
