// Replay of journaled messages: the EMR was down, its notes failed; once it is back an operator
// runs them again from the journal with `qiao messages replay`, and they reach it. The EMR is
// counting_http_peer.py (Python's own HTTP server) logging every request it gets.

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/counting_http_peer.hpp"
#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

TEST_CASE("message replay: notes that failed while the EMR was down run again from the journal and reach it",
          "[integration][replay]") {
  TempDir dir;
  CountingHttpPeer emr(dir.path());
  const int port = free_port();
  // Requests over 200 bytes are journaled cut, so one of them cannot be replayed as it came.
  dir.write("qiao.yaml", server_config("replay") + "journal: { max_payload_bytes: 200 }\n");
  dir.write("endpoints.yaml", "emr: { http: { url: \"" + emr.url("/notes") + "\" } }\n");
  dir.write("flows/notes.yaml",
            "id: notes\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:" +
                std::to_string(port) +
                "\", path: /notes, methods: [POST] }\n"
                "  decode: json\n"
                "steps:\n"
                "  - call: { endpoint: emr, lua: 'return { patient = body.patient, text = body.text }' }\n"
                "reply:\n"
                "  lua: 'return { saved = vars.emr.seen }'\n");
  GatewayProcess gateway(dir);
  INFO(gateway.output());
  const std::string address = "127.0.0.1:" + std::to_string(port);
  auto post = [&](const std::string& body) {
    return http_request(address, "POST", "/notes", body, {{"Content-Type", "application/json"}});
  };

  CHECK(post(R"({"patient":"P-1","text":"before the outage"})").status == 200);
  emr.down(true);
  CHECK(post(R"({"patient":"P-2","text":"during the outage"})").status >= 500);
  CHECK(post(R"({"patient":"P-3","text":"during the outage too"})").status >= 500);
  CHECK(post(R"({"patient":"P-4","text":")" + std::string(300, 'x') + R"("})").status >= 500);
  emr.down(false);
  REQUIRE(wait_until(
      [&] {
        return count_of(gateway.admin_request("GET", "/api/messages?flow=notes").body, "\"outcome\":\"upstream\"") +
                   count_of(gateway.admin_request("GET", "/api/messages?flow=notes").body,
                            "\"outcome\":\"unavailable\"") ==
               3;
      },
      5s));
  const std::string failed_outcome =
      gateway.admin_request("GET", "/api/messages?flow=notes").body.find("\"outcome\":\"upstream\"") !=
              std::string::npos
          ? "upstream"
          : "unavailable";

  // A time window narrows the search, and a malformed one says what is expected.
  CHECK(count_of(gateway.admin_request("GET", "/api/messages?flow=notes&since=2020-01-01T00:00:00Z").body, "\"id\":") ==
        4);
  CHECK(count_of(gateway.admin_request("GET", "/api/messages?flow=notes&until=2020-01-01T00:00:00Z").body, "\"id\":") ==
        0);
  const HttpResult bad_time = gateway.admin_request("GET", "/api/messages?since=yesterday");
  CHECK(bad_time.status == 400);
  CHECK_THAT(bad_time.body, Catch::Contains("since: expected a time such as"));

  // Without a filter nothing is replayed.
  CHECK(gateway.admin_request("POST", "/api/messages/replay").status == 400);

  const auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {QIAO_BINARY, "messages"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"-c", "qiao.yaml", "--admin", gateway.admin()});
    return run_command(argv, "", dir.path());
  };
  const CommandResult dry = cli({"replay", "--flow", "notes", "--outcome", failed_outcome, "--dry-run"});
  INFO(dry.output);
  CHECK(dry.status == 0);
  CHECK_THAT(dry.output, Catch::Contains("would replay 2 message(s)") && Catch::Contains("skipped") &&
                             Catch::Contains("the journal kept only the first 200 of its"));
  CHECK(emr.requests().size() == 1);

  const CommandResult replayed = cli({"replay", "--flow", "notes", "--outcome", failed_outcome});
  INFO(replayed.output);
  CHECK(replayed.status == 0);
  CHECK_THAT(replayed.output, Catch::Contains("replayed 2 message(s)") && Catch::Contains(" -> "));
  REQUIRE(wait_until([&] { return emr.requests().size() == 3; }, 10s));
  const std::string emr_log = read_file(emr.log_path());
  // In the order they first came.
  CHECK(emr_log.find("P-2") < emr_log.find("P-3"));
  CHECK(emr_log.find("P-4") == std::string::npos);

  // The replays are messages of their own in the journal, saying what they replay.
  REQUIRE(wait_until(
      [&] {
        return count_of(gateway.admin_request("GET", "/api/messages?flow=notes&outcome=ok").body, "\"id\":") == 3;
      },
      5s));
  const std::string ok = gateway.admin_request("GET", "/api/messages?flow=notes&outcome=ok").body;
  CHECK(count_of(ok, "replay") >= 2);
  const CommandResult listed = cli({"list", "--flow", "notes", "--outcome", "ok"});
  INFO(listed.output);
  CHECK(listed.status == 0);
  CHECK(count_of(listed.output, " notes ") == 3);  // the flow column
  CHECK(gateway.stop() == 0);
}
