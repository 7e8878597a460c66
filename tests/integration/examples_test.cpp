// The shipped scenarios, run from the shipped configuration as `make run` starts them: HIS → MLLP
// → gateway → MLLP → LIS simulator, answered for mllp_send; and kiosk → HTTP JSON → gateway →
// ISO 8583 (UnionPay, MAC on both legs) over a long connection → bank simulator → kiosk.

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

struct ShippedGateway {
  TempDir dir;
  int http_port = free_port();
  int mllp_port = free_port();
  std::unique_ptr<GatewayProcess> process;

  ShippedGateway() {
    copy_shipped_config(dir);
    process = std::make_unique<GatewayProcess>(
        dir, std::vector<std::string>{},
        std::map<std::string, std::string>{{"QIAO_HTTP_PORT", std::to_string(http_port)},
                                           {"QIAO_ADMIN", "127.0.0.1:0"},
                                           {"QIAO_MLLP_PORT", std::to_string(mllp_port)},
                                           {"QIAO_LIS_PORT", std::to_string(free_port())},
                                           {"QIAO_BANK_PORT", std::to_string(free_port())},
                                           {"QIAO_SOAP_PORT", std::to_string(free_port())},
                                           {"QIAO_HIS_SOAP_PORT", std::to_string(free_port())},
                                           {"QIAO_HIS_PORT", std::to_string(free_port())}});
  }
};

// The MLLP blocks in what mllp_send printed (each answer as received, then a newline).
std::vector<std::string> mllp_blocks(const std::string& output) {
  std::vector<std::string> blocks;
  for (std::size_t start = output.find('\x0b'); start != std::string::npos; start = output.find('\x0b', start + 1)) {
    const std::size_t end = output.find('\x1c', start);
    if (end == std::string::npos) break;
    blocks.push_back(output.substr(start + 1, end - start - 1));
  }
  return blocks;
}

std::string msa(const std::string& ack) {
  const std::size_t at = ack.find("\rMSA|");
  return at == std::string::npos ? std::string() : ack.substr(at + 1, ack.find('\r', at + 1) - at - 1);
}

// POSTs JSON to the kiosk flow; returns "STATUS BODY".
std::string pay(int port, const std::string& json) {
  const CommandResult r = run_command({"curl", "-sS", "--max-time", "15", "-w", " %{http_code}", "-X", "POST",
                                       "http://127.0.0.1:" + std::to_string(port) + "/api/pay", "-H",
                                       "Content-Type: application/json", "-d", json});
  if (r.status != 0) return "curl failed: " + r.output;
  const std::size_t space = r.output.rfind(' ');
  return r.output.substr(space + 1) + " " + r.output.substr(0, space);
}

}  // namespace

TEST_CASE("example hl7-adt: the HIS's ADT file through the gateway to the LIS and back",
          "[integration][examples][mllp]") {
  ShippedGateway gateway;
  const auto result =
      run_command({"/usr/bin/mllp_send", "--loose", "-f", gateway.dir.path() + "/examples/hl7-adt/adt.hl7", "-p",
                   std::to_string(gateway.mllp_port), "127.0.0.1"});
  INFO(result.output);
  REQUIRE(result.status == 0);
  const auto acks = mllp_blocks(result.output);
  REQUIRE(acks.size() == 2);
  // The HIS hears AA for both as soon as they are stored: the LIS gets them from the queue.
  CHECK(msa(acks[0]) == "MSA|AA|ADT0001");
  CHECK(msa(acks[1]) == "MSA|AA|ADT0002");

  // The inpatient is filed by the LIS; the outpatient has no ward, the LIS rejects it (AR), and
  // it waits as a dead letter with the LIS's reason.
  HttpResult dead;
  wait_until(
      [&] {
        dead = gateway.process->admin_request("GET", "/api/queues/dead?endpoint=lis");
        return dead.body.find("\"id\"") != std::string::npos;
      },
      std::chrono::seconds(20));
  INFO(dead.body);
  REQUIRE(dead.status == 200);
  CHECK(dead.body.find("HL7 AR: LIS: PV1-3 (the ward) is required") != std::string::npos);
  CHECK(dead.body.find("\"orderKey\":\"100235\"") != std::string::npos);
  const HttpResult queues = gateway.process->admin_request("GET", "/api/queues");
  INFO(queues.body);
  CHECK(queues.body.find(R"("endpoint":"lis","depth":0,"inFlight":0)") != std::string::npos);
  CHECK(queues.body.find(R"("delivered":1,)") != std::string::npos);

  // The operator's view of the same, from the command line.
  const auto listed = run_command(
      {QIAO_BINARY, "queue", "dead", "-c", "qiao.yaml", "--admin", gateway.process->admin()}, "", gateway.dir.path());
  INFO(listed.output);
  CHECK(listed.status == 0);
  CHECK(listed.output.find("lis  message") != std::string::npos);
  CHECK(listed.output.find("HL7 AR") != std::string::npos);

  // The same file through qiao's own sender: AA for both again.
  const auto sent = run_command({QIAO_BINARY, "send", "mllp", "127.0.0.1:" + std::to_string(gateway.mllp_port),
                                 gateway.dir.path() + "/examples/hl7-adt/adt.hl7"});
  INFO(sent.output);
  CHECK(sent.output.find("MSA|AA|ADT0001") != std::string::npos);
  CHECK(sent.output.find("MSA|AA|ADT0002") != std::string::npos);
  CHECK(sent.status == 0);
  CHECK(gateway.process->stop() == 0);
}

TEST_CASE("example kiosk-payment: approved, declined and refused payments through the bank host",
          "[integration][examples][iso8583]") {
  ShippedGateway gateway;
  const std::string approved =
      pay(gateway.http_port, R"({"orderNo":"K0001","cardNo":"6222021234567890123","amount":"12.50"})");
  INFO(approved);
  CHECK(approved.rfind("200 {", 0) == 0);
  CHECK(approved.find("\"orderNo\":\"K0001\"") != std::string::npos);
  CHECK(approved.find("\"result\":\"approved\"") != std::string::npos);
  CHECK(approved.find("\"authCode\":\"") != std::string::npos);
  CHECK(approved.find("\"rrn\":\"") != std::string::npos);

  // A kiosk retrying the same order is not charged twice: it gets the first authorisation again.
  const std::string retried =
      pay(gateway.http_port, R"({"orderNo":"K0001","cardNo":"6222021234567890123","amount":"12.50"})");
  CHECK(retried == approved);

  const std::string declined =
      pay(gateway.http_port, R"({"orderNo":"K0002","cardNo":"6222021234567890123","amount":"1500.00"})");
  INFO(declined);
  CHECK(declined.rfind("402 ", 0) == 0);
  CHECK(declined.find("\"message\":\"insufficient funds\"") != std::string::npos);
  CHECK(declined.find("\"bankCode\":\"51\"") != std::string::npos);

  const std::string refused =
      pay(gateway.http_port, R"({"orderNo":"K0003","cardNo":"6222021234567890123","amount":"abc"})");
  INFO(refused);
  CHECK(refused.rfind("400 ", 0) == 0);
  CHECK(refused.find("amount must be a positive number of yuan") != std::string::npos);

  // Several payments at once share the bank connection, each answered with its own trace.
  std::vector<std::thread> kiosks;
  std::vector<std::string> answers(6);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    kiosks.emplace_back([&, i] {
      answers[i] = pay(gateway.http_port, "{\"orderNo\":\"M" + std::to_string(i) +
                                              "\",\"cardNo\":\"6222021234567890123\","
                                              "\"amount\":\"" +
                                              std::to_string(i + 1) + ".00\"}");
    });
  }
  for (auto& k : kiosks) k.join();
  for (std::size_t i = 0; i < answers.size(); ++i) {
    INFO(answers[i]);
    CHECK(answers[i].rfind("200 ", 0) == 0);
    CHECK(answers[i].find("\"orderNo\":\"M" + std::to_string(i) + "\"") != std::string::npos);
  }
  CHECK(gateway.process->stop() == 0);
}
