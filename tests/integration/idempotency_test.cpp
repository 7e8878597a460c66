// Idempotency as a kiosk's payment relies on it: kiosks retry when an answer is slow, so one
// order number can arrive many times at once and again after a restart; the bank must be asked
// once and every repeat must get the first answer. The bank is counting_http_peer.py (Python's
// own HTTP server), which logs every request it receives before it answers.

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/counting_http_peer.hpp"
#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

// Pay by order number: the bank's trade number is the answer, so a second run would show as a
// different one. The check refuses a payment without an amount before the bank is asked.
std::string pay_flow(int port, const std::string& idempotency) {
  return "id: pay\n"
         "source:\n"
         "  http: { listen: \"127.0.0.1:" +
         std::to_string(port) +
         "\", path: /pay, methods: [POST] }\n"
         "  decode: json\n"
         "idempotency: { key: 'body.orderNo', " +
         idempotency +
         " }\n"
         "steps:\n"
         "  - check: { required: [amount] }\n"
         "  - call: { endpoint: bank, into: bank, lua: 'return body' }\n"
         "reply:\n"
         "  lua: 'return { orderNo = body.orderNo, amount = body.amount, tradeNo = vars.bank.tradeNo }'\n";
}

std::string pay(const std::string& order, const std::string& amount = "12.50") {
  return "{\"orderNo\":\"" + order + "\",\"amount\":\"" + amount + "\"}";
}

std::optional<double> repeats(const GatewayProcess& gateway) {
  return gateway.metric("qiao_idempotent_repeats_total{flow=\"pay\"}");
}

struct PayGateway {
  explicit PayGateway(int bank_delay_ms, const std::string& idempotency = "ttl: 1h")
      : bank(dir.path(), bank_delay_ms), port(free_port()) {
    dir.write("qiao.yaml", server_config("idempotency"));
    dir.write("endpoints.yaml",
              "bank: { http: { url: \"http://127.0.0.1:" + std::to_string(bank.port()) + "/pay\" }, timeout: 5s }\n");
    dir.write("flows/pay.yaml", pay_flow(port, idempotency));
    start();
  }
  void start() { gateway = std::make_unique<GatewayProcess>(dir); }
  HttpResult post(const std::string& body) const {
    return http_request("127.0.0.1:" + std::to_string(port), "POST", "/pay", body,
                        {{"Content-Type", "application/json"}});
  }
  TempDir dir;
  CountingHttpPeer bank;
  int port;
  std::unique_ptr<GatewayProcess> gateway;
};

}  // namespace

TEST_CASE("idempotency: 32 concurrent duplicates of one payment ask the bank once, and a restart keeps the answer",
          "[integration][idempotency]") {
  // The bank takes 300 ms, so all 32 are in the gateway while the first is at the bank.
  PayGateway pay_gateway(300);
  std::vector<HttpResult> answers(32);
  std::vector<std::thread> kiosks;
  for (std::size_t i = 0; i < answers.size(); ++i)
    kiosks.emplace_back([&, i] { answers[i] = pay_gateway.post(pay("A-1001")); });
  for (auto& kiosk : kiosks) kiosk.join();

  INFO(pay_gateway.gateway->output());
  REQUIRE(pay_gateway.bank.requests().size() == 1);
  std::set<std::string> bodies;
  std::set<std::string> message_ids;
  for (const HttpResult& answer : answers) {
    CHECK(answer.status == 200);
    bodies.insert(answer.body);
    message_ids.insert(answer.header("x-message-id"));
  }
  CHECK(bodies.size() == 1);
  CHECK(message_ids.size() == answers.size());  // each repeat is a message of its own in the journal
  CHECK_THAT(*bodies.begin(), Catch::Contains("\"tradeNo\":\"T1\"") && Catch::Contains("\"amount\":\"12.50\""));
  CHECK(repeats(*pay_gateway.gateway) == 31.0);

  // Another order is another payment.
  const HttpResult other = pay_gateway.post(pay("A-1002"));
  CHECK(other.status == 200);
  CHECK_THAT(other.body, Catch::Contains("\"tradeNo\":\"T2\""));
  CHECK(pay_gateway.bank.requests().size() == 2);

  // The answer is in the store: a kiosk retrying after the gateway restarted gets it again.
  REQUIRE(pay_gateway.gateway->stop() == 0);
  pay_gateway.start();
  const HttpResult after_restart = pay_gateway.post(pay("A-1001"));
  CHECK(after_restart.status == 200);
  CHECK(after_restart.body == *bodies.begin());
  CHECK(after_restart.header("content-type") == answers[0].header("content-type"));
  CHECK(pay_gateway.bank.requests().size() == 2);
  CHECK(repeats(*pay_gateway.gateway) == 1.0);
}

TEST_CASE("idempotency: what sending again may cure runs again, a bank's refusal is its answer",
          "[integration][idempotency]") {
  PayGateway pay_gateway(0);
  INFO(pay_gateway.gateway->output());

  // The bank is down: the payment fails, and the key is free for the kiosk's retry.
  pay_gateway.bank.down(true);
  const HttpResult while_down = pay_gateway.post(pay("B-1"));
  CHECK(while_down.status >= 500);
  CHECK(pay_gateway.bank.requests().empty());
  pay_gateway.bank.down(false);
  const HttpResult after_up = pay_gateway.post(pay("B-1"));
  CHECK(after_up.status == 200);
  CHECK_THAT(after_up.body, Catch::Contains("\"tradeNo\":\"T1\""));
  CHECK(pay_gateway.bank.requests().size() == 1);

  // A payment refused by the gateway's check never reached the bank: corrected, it runs.
  const HttpResult no_amount = pay_gateway.post("{\"orderNo\":\"C-1\"}");
  CHECK(no_amount.status == 400);
  const HttpResult corrected = pay_gateway.post(pay("C-1"));
  CHECK(corrected.status == 200);
  CHECK(pay_gateway.bank.requests().size() == 2);

  // The bank declines: that is the answer to this order, however often it is sent.
  const HttpResult declined = pay_gateway.post(pay("DECLINE-1"));
  CHECK(declined.status != 200);
  CHECK(pay_gateway.bank.requests().size() == 3);
  const HttpResult declined_again = pay_gateway.post(pay("DECLINE-1"));
  CHECK(declined_again.status == declined.status);
  CHECK(declined_again.body == declined.body);
  CHECK(pay_gateway.bank.requests().size() == 3);

  // A message without a key is refused for what it is, and says why.
  const HttpResult keyless = pay_gateway.post("{\"amount\":\"1.00\"}");
  CHECK(keyless.status == 400);
  CHECK_THAT(keyless.body, Catch::Contains("idempotency key"));
  CHECK(pay_gateway.bank.requests().size() == 3);
}

TEST_CASE("idempotency: a payment whose gateway was killed at the bank runs again once its lease has passed",
          "[integration][idempotency]") {
  // The sender of a payment cut off by kill -9 was never answered: its retry must not wait for
  // an answer that will never come, nor run while the first might still be running elsewhere.
  PayGateway pay_gateway(1500, "ttl: 1h, lease: 1s, wait: 20s");
  std::thread kiosk([&] { pay_gateway.post(pay("K-1")); });
  const bool at_bank = wait_until([&] { return pay_gateway.bank.requests().size() == 1; }, 10s);
  pay_gateway.gateway->signal(SIGKILL);
  kiosk.join();
  REQUIRE(at_bank);
  pay_gateway.gateway->stop();
  pay_gateway.start();

  const HttpResult retry = pay_gateway.post(pay("K-1"));
  INFO(pay_gateway.gateway->output());
  CHECK(retry.status == 200);
  CHECK_THAT(retry.body, Catch::Contains("\"tradeNo\":\"T2\""));
  CHECK(pay_gateway.bank.requests().size() == 2);
  const HttpResult repeat = pay_gateway.post(pay("K-1"));
  CHECK(repeat.body == retry.body);
  CHECK(pay_gateway.bank.requests().size() == 2);
}
