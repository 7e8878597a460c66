// One message in the journal as an operator looks it up: GET /api/messages/{id} and
// `qiao messages show`: each step it went through, and each delivery its `send` made with every
// attempt, kept after the delivery left the queue; POST /api/messages/{id}/replay runs it again.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/support/counting_http_peer.hpp"
#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

TEST_CASE("messages: one message shows its steps and its delivery's attempts, after it was delivered",
          "[integration][journal]") {
  TempDir dir;
  CountingHttpPeer emr(dir.path());
  emr.down(true);  // the first attempt fails: 503
  const int port = free_port();
  dir.write("qiao.yaml", server_config("message-detail"));
  dir.write("endpoints.yaml", "emr: { http: { url: \"" + emr.url("/notes") + "\" } }\n");
  dir.write("flows/notes.yaml",
            "id: notes\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:" +
                std::to_string(port) +
                "\", path: /notes, methods: [POST] }\n"
                "  decode: json\n"
                "steps:\n"
                "  - check: { required: [patient] }\n"
                "  - call: { endpoint: emr, into: probe, on_error: continue }\n"
                "  - send: { endpoint: emr, retry: { attempts: 5, backoff: 50ms, jitter: false } }\n"
                "reply:\n"
                "  lua: 'return { queued = true }'\n");
  GatewayProcess gateway(dir);
  INFO(gateway.output());

  const HttpResult sent = http_request("127.0.0.1:" + std::to_string(port), "POST", "/notes", R"({"patient":"P-9"})",
                                       {{"Content-Type", "application/json"}});
  REQUIRE(sent.status == 200);
  const std::string id = sent.header("x-message-id");
  REQUIRE_FALSE(id.empty());
  REQUIRE(wait_until([&] { return gateway.metric("qiao_queue_retries_total{endpoint=\"emr\"}") >= 1.0; }, 10s));
  emr.down(false);
  REQUIRE(wait_until([&] { return gateway.metric("qiao_queue_delivered_total{endpoint=\"emr\"}") == 1.0; }, 10s));

  std::string detail;
  REQUIRE(wait_until(
      [&] {
        detail = gateway.admin_request("GET", "/api/messages/" + id).body;
        return detail.find("\"state\":\"delivered\"") != std::string::npos;
      },
      10s));
  INFO(detail);
  CHECK_THAT(detail, Catch::Contains("\"id\":\"" + id + "\"") && Catch::Contains("\"flow\":\"notes\""));
  CHECK_THAT(detail, Catch::Contains(R"("step":"check","line":6,"depth":0,"outcome":"ok")"));
  // The call found the EMR down and the flow went on, as on_error: continue says.
  CHECK_THAT(
      detail,
      Catch::Contains(
          R"("step":"call emr","line":7,"depth":0,"outcome":"upstream","detail":"on_error: continue, the error is in vars.probe: )"));
  CHECK_THAT(detail, Catch::Contains(R"("step":"send emr","line":8,"depth":0,"outcome":"ok")"));
  CHECK_THAT(detail, Catch::Contains("\"endpoint\":\"emr\"") && Catch::Contains("\"deliveredAt\":\"20"));
  // The failed attempt and the one that delivered it, in order.
  const auto first = detail.find("\"number\":1");
  const auto second = detail.find("\"number\":2");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(first < second);
  CHECK(detail.find("\"outcome\":\"ok\"", second) != std::string::npos);
  CHECK(detail.substr(first, second - first).find("503") != std::string::npos);

  const CommandResult shown = run_command(
      {QIAO_BINARY, "messages", "show", "--id", id, "-c", "qiao.yaml", "--admin", gateway.admin()}, "", dir.path());
  INFO(shown.output);
  CHECK(shown.status == 0);
  CHECK_THAT(shown.output, Catch::Contains("send emr (line 8)  ok") && Catch::Contains("to emr  delivered") &&
                               Catch::Contains("1. ") && Catch::Contains("2. "));

  const HttpResult missing = gateway.admin_request("GET", "/api/messages/no-such-message");
  CHECK(missing.status == 404);
  CHECK(gateway.admin_request("POST", "/api/messages/" + id).status == 405);

  // Run again as a new message, through the path of the one message.
  const HttpResult replayed = gateway.admin_request("POST", "/api/messages/" + id + "/replay");
  INFO(replayed.body);
  CHECK(replayed.status == 200);
  CHECK_THAT(replayed.body, Catch::Contains("\"count\":1") && Catch::Contains("\"of\":\"" + id + "\""));
  // Delivered, then the replay's call and send (a 503 logs nothing).
  REQUIRE(wait_until([&] { return emr.requests().size() == 3; }, 10s));
  CHECK(gateway.stop() == 0);
}
