// The admin API an operator and Prometheus use: health, the flows with their counts, metrics,
// and the bearer token that guards everything but /healthz.

#include <catch2/catch.hpp>

#include <string>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

const std::map<std::string, std::string> bearer{{"Authorization", "Bearer s3cret"}};

std::string config_with_token() {
  return "node: { name: admin-test, threads: 2 }\n"
         "admin: { listen: \"127.0.0.1:0\", token: s3cret }\n"
         "store: { url: \"sqlite://var/qiao.db\" }\n"
         "flows: [ \"flows/*.yaml\" ]\n"
         "log: { dir: var/log, level: info, console: false }\n"
         "reload: { watch: false }\n";
}

// "\n" + line + "\n" occurs in the Prometheus text: the line is there, whole.
bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("admin API: health, flows with counts, metrics, and the token", "[integration][e2e][admin]") {
  TempDir dir;
  const int port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  dir.write("qiao.yaml", config_with_token());
  dir.write("flows/echo.yaml",
            "id: echo\ndescription: Echoes a name.\n"
            "source:\n  http: { listen: \"" + listen + "\", path: /echo, methods: [POST] }\n  decode: json\n"
            "steps:\n  - check: { required: [name] }\n"
            "reply:\n  lua: 'return { name = body.name }'\n");
  dir.write("flows/ping.yaml",
            "id: ping\n"
            "source:\n  http: { listen: \"" + listen + "\", path: /ping/*, methods: [GET, HEAD] }\n"
            "reply:\n  body: pong\n");
  GatewayProcess gateway(dir);

  // /healthz stays open without the token.
  HttpResult health = http_request(gateway.admin(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == R"({"status":"ok","node":"admin-test","generation":1})");

  // Everything else needs it.
  for (const std::string path : {"/api/flows", "/metrics", "/api/messages"}) {
    INFO(path);
    HttpResult none = http_request(gateway.admin(), "GET", path);
    CHECK(none.status == 401);
    CHECK(none.body.find(R"({"error":{"code":"unauthorized")") == 0);
    HttpResult wrong = http_request(gateway.admin(), "GET", path, "", {{"Authorization", "Bearer s3cre"}});
    CHECK(wrong.status == 401);
    HttpResult basic = http_request(gateway.admin(), "GET", path, "", {{"Authorization", "s3cret"}});
    CHECK(basic.status == 401);
    CHECK(http_request(gateway.admin(), "GET", path, "", bearer).status == 200);
  }
  CHECK(http_request(gateway.admin(), "POST", "/api/reload").status == 401);

  const std::string echo_head = R"({"id":"echo","description":"Echoes a name.","file":")" + dir.path() +
                                R"(/flows/echo.yaml:1:1","source":"http POST )" + listen + R"(/echo","decode":"json",)";
  const std::string ping_head = R"({"id":"ping","description":"","file":")" + dir.path() +
                                R"(/flows/ping.yaml:1:1","source":"http GET,HEAD )" + listen + R"(/ping/*","decode":"",)";
  HttpResult before = http_request(gateway.admin(), "GET", "/api/flows", "", bearer);
  INFO(before.body);
  CHECK(before.status == 200);
  CHECK(before.header("content-type") == "application/json");
  CHECK(before.body.find(echo_head + R"("generation":1,"counts":{"total":0,"ok":0,"errors":0,"inFlight":0},"lastError":""})") !=
        std::string::npos);
  CHECK(before.body.find(ping_head + R"("generation":1,"counts":{"total":0,"ok":0,"errors":0,"inFlight":0},"lastError":""})") !=
        std::string::npos);

  HttpClient client(listen);
  for (int i = 0; i < 3; ++i) CHECK(client.request("POST", "/echo", R"({"name":"n"})").status == 200);
  HttpResult refused = client.request("POST", "/echo", R"({"other":1})");
  CHECK(refused.status == 400);
  for (int i = 0; i < 2; ++i) CHECK(client.request("GET", "/ping/" + std::to_string(i)).body == "\"pong\"");

  HttpResult after = http_request(gateway.admin(), "GET", "/api/flows", "", bearer);
  INFO(after.body);
  CHECK(after.body.find(echo_head + R"("generation":1,"counts":{"total":4,"ok":3,"errors":1,"inFlight":0},"lastError":")" +
                        refused.header("x-message-id") + R"(: missing required field 'name'"})") != std::string::npos);
  CHECK(after.body.find(ping_head + R"("generation":1,"counts":{"total":2,"ok":2,"errors":0,"inFlight":0},"lastError":""})") !=
        std::string::npos);

  HttpResult metrics = http_request(gateway.admin(), "GET", "/metrics", "", bearer);
  INFO(metrics.body);
  CHECK(metrics.status == 200);
  CHECK(metrics.header("content-type").find("text/plain") == 0);
  CHECK(has_line(metrics.body, R"(qiao_messages_total{flow="echo",outcome="ok"} 3)"));
  CHECK(has_line(metrics.body, R"(qiao_messages_total{flow="echo",outcome="check_failed"} 1)"));
  CHECK(has_line(metrics.body, R"(qiao_messages_total{flow="ping",outcome="ok"} 2)"));
  CHECK(has_line(metrics.body, "# TYPE qiao_message_duration_seconds histogram"));
  CHECK(has_line(metrics.body, R"(qiao_message_duration_seconds_bucket{flow="echo",le="+Inf"} 4)"));
  CHECK(has_line(metrics.body, R"(qiao_message_duration_seconds_count{flow="echo"} 4)"));
  CHECK(has_line(metrics.body, R"(qiao_message_duration_seconds_count{flow="ping"} 2)"));
  CHECK(metrics.body.find(R"(qiao_message_duration_seconds_sum{flow="echo"} )") != std::string::npos);
  // Buckets are cumulative: every request of this test took less than 10 s.
  CHECK(has_line(metrics.body, R"(qiao_message_duration_seconds_bucket{flow="echo",le="10"} 4)"));

  // With the token, reload works too.
  HttpResult reload = http_request(gateway.admin(), "POST", "/api/reload", "", bearer);
  CHECK(reload.status == 200);
  CHECK(reload.body.find(R"({"ok":true,"generation":2,)") == 0);
  CHECK(http_request(gateway.admin(), "GET", "/healthz").body == R"({"status":"ok","node":"admin-test","generation":2})");
  CHECK(gateway.stop() == 0);
}
