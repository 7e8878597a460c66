// The admin API an operator and Prometheus use: health, the flows with their counts, metrics,
// and what guards it: a bearer token on everything but /healthz (generated into var/admin.token
// unless configured), the Host check, no answers to cross-origin browsers, loopback unless TLS,
// and a var/ directory only the owner reads.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <string>

#include "tests/integration/support/child_process.hpp"
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

// The permission bits of a file, -1 when it does not exist.
int mode_of(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return -1;
  return static_cast<int>(info.st_mode & 07777);
}

std::string config_without_token(const std::string& admin_extra = "") {
  return "node: { name: admin-default, threads: 2 }\n"
         "admin: { listen: \"127.0.0.1:0\"" +
         admin_extra +
         " }\n"
         "store: { url: \"sqlite://var/qiao.db\" }\n"
         "flows: [ \"flows/*.yaml\" ]\n"
         "log: { dir: var/log, level: info, console: false }\n"
         "reload: { watch: false }\n";
}

void write_ping_flow(const TempDir& dir) {
  dir.write("flows/ping.yaml",
            "id: ping\n"
            "source:\n  http: { listen: \"127.0.0.1:0\", path: /ping, methods: [GET] }\n"
            "reply:\n  body: pong\n");
}

int generation_of(const GatewayProcess& gateway) {
  const std::string body = http_request(gateway.admin(), "GET", "/healthz").body;
  std::smatch match;
  return std::regex_search(body, match, std::regex(R"("generation":(\d+))")) ? std::stoi(match[1]) : -1;
}

}  // namespace

TEST_CASE("admin API: health, flows with counts, metrics, and the token", "[integration][e2e][admin]") {
  TempDir dir;
  const int port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  dir.write("qiao.yaml", config_with_token());
  dir.write("flows/echo.yaml",
            "id: echo\ndescription: Echoes a name.\n"
            "source:\n  http: { listen: \"" +
                listen +
                "\", path: /echo, methods: [POST] }\n  decode: json\n"
                "steps:\n  - check: { required: [name] }\n"
                "reply:\n  lua: 'return { name = body.name }'\n");
  dir.write("flows/ping.yaml",
            "id: ping\n"
            "source:\n  http: { listen: \"" +
                listen +
                "\", path: /ping/*, methods: [GET, HEAD] }\n"
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
    CHECK(none.header("www-authenticate") == R"(Bearer realm="qiao admin")");
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
                                R"(/flows/ping.yaml:1:1","source":"http GET,HEAD )" + listen +
                                R"(/ping/*","decode":"",)";
  HttpResult before = http_request(gateway.admin(), "GET", "/api/flows", "", bearer);
  INFO(before.body);
  CHECK(before.status == 200);
  CHECK(before.header("content-type") == "application/json");
  CHECK(before.body.find(echo_head +
                         R"("generation":1,"counts":{"total":0,"ok":0,"errors":0,"inFlight":0},"lastError":""})") !=
        std::string::npos);
  CHECK(before.body.find(ping_head +
                         R"("generation":1,"counts":{"total":0,"ok":0,"errors":0,"inFlight":0},"lastError":""})") !=
        std::string::npos);

  HttpClient client(listen);
  for (int i = 0; i < 3; ++i) CHECK(client.request("POST", "/echo", R"({"name":"n"})").status == 200);
  HttpResult refused = client.request("POST", "/echo", R"({"other":1})");
  CHECK(refused.status == 400);
  for (int i = 0; i < 2; ++i) CHECK(client.request("GET", "/ping/" + std::to_string(i)).body == "\"pong\"");

  HttpResult after = http_request(gateway.admin(), "GET", "/api/flows", "", bearer);
  INFO(after.body);
  CHECK(after.body.find(echo_head +
                        R"("generation":1,"counts":{"total":4,"ok":3,"errors":1,"inFlight":0},"lastError":")" +
                        refused.header("x-message-id") + R"(: missing required field 'name'"})") != std::string::npos);
  CHECK(after.body.find(ping_head +
                        R"("generation":1,"counts":{"total":2,"ok":2,"errors":0,"inFlight":0},"lastError":""})") !=
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
  CHECK(http_request(gateway.admin(), "GET", "/healthz").body ==
        R"({"status":"ok","node":"admin-test","generation":2})");
  CHECK(gateway.stop() == 0);
}

TEST_CASE("admin API: without admin.token a token is generated into var/admin.token (0600) and kept across restarts",
          "[integration][e2e][admin]") {
  TempDir dir;
  dir.write("qiao.yaml", config_without_token());
  write_ping_flow(dir);
  const std::string token_file = dir.path() + "/var/admin.token";
  std::string token;
  {
    GatewayProcess gateway(dir);
    INFO(gateway.output());
    CHECK(gateway.output().find("admin token in " + token_file + "\n") != std::string::npos);
    token = gateway.admin_token();
    CHECK(std::regex_match(token, std::regex("[0-9a-f]{64}")));
    CHECK(read_file(token_file) == token + "\n");
    CHECK(mode_of(token_file) == 0600);

    for (const std::string path : {"/api/flows", "/metrics", "/api/messages"}) {
      INFO(path);
      CHECK(http_request(gateway.admin(), "GET", path).status == 401);
      std::string wrong = token;
      wrong.back() = wrong.back() == '0' ? '1' : '0';
      CHECK(http_request(gateway.admin(), "GET", path, "", {{"Authorization", "Bearer " + wrong}}).status == 401);
      CHECK(http_request(gateway.admin(), "GET", path, "", {{"Authorization", "Bearer " + token + "0"}}).status == 401);
      CHECK(gateway.admin_request("GET", path).status == 200);
    }
    CHECK(http_request(gateway.admin(), "POST", "/api/reload").status == 401);
    CHECK(generation_of(gateway) == 1);
    CHECK(gateway.stop() == 0);
  }
  GatewayProcess again(dir);
  CHECK(again.admin_token() == token);
  CHECK(http_request(again.admin(), "GET", "/api/flows", "", {{"Authorization", "Bearer " + token}}).status == 200);
  CHECK(again.stop() == 0);
}

TEST_CASE("admin API: everything under var/ is 0700/0600, and a 0644 journal from before is made private on start",
          "[integration][e2e][admin]") {
  TempDir dir;
  dir.write("qiao.yaml", config_without_token());
  write_ping_flow(dir);
  const std::string var = dir.path() + "/var";
  {
    GatewayProcess gateway(dir);
    // A message, so the journal has written through its WAL.
    HttpResult pong = http_request(gateway.listener("http 127.0.0.1:0"), "GET", "/ping");
    CHECK(pong.status == 200);
    CHECK(wait_until(
        [&] { return gateway.admin_request("GET", "/api/messages").body.find("\"ping\"") != std::string::npos; }));
    CHECK(mode_of(var) == 0700);
    CHECK(mode_of(var + "/qiao.db") == 0600);
    CHECK(mode_of(var + "/qiao.db-wal") == 0600);
    CHECK(mode_of(var + "/qiao.db-shm") == 0600);
    CHECK(mode_of(var + "/admin.token") == 0600);
    CHECK(mode_of(var + "/log") == 0700);
    CHECK(mode_of(var + "/log/system.log") == 0600);
    CHECK(mode_of(var + "/log/business.log") == 0600);
    CHECK(gateway.stop() == 0);
  }
  // As an earlier version, a copy or a restore left them.
  namespace fs = std::filesystem;
  const auto open_dir = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec;
  const auto open_file =
      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
  fs::permissions(var, open_dir);
  fs::permissions(var + "/log", open_dir);
  for (const std::string file : {"/qiao.db", "/admin.token", "/log/system.log", "/log/business.log"}) {
    fs::permissions(var + file, open_file);
    REQUIRE(mode_of(var + file) == 0644);
  }
  GatewayProcess again(dir);
  CHECK(mode_of(var) == 0700);
  CHECK(mode_of(var + "/log") == 0700);
  for (const std::string file : {"/qiao.db", "/admin.token", "/log/system.log", "/log/business.log"}) {
    INFO(file);
    CHECK(mode_of(var + file) == 0600);
  }
  CHECK(again.admin_request("GET", "/api/flows").status == 200);
  CHECK(again.stop() == 0);
}

TEST_CASE("admin API: a foreign Host, a cross-origin browser and a text/plain POST are refused",
          "[integration][e2e][admin]") {
  TempDir dir;
  dir.write("qiao.yaml", config_without_token(", hosts: [ gw.hospital.example ]"));
  write_ping_flow(dir);
  GatewayProcess gateway(dir);
  const std::string port = gateway.admin().substr(gateway.admin().rfind(':') + 1);

  // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1.
  for (const std::string path : {"/api/flows", "/healthz"}) {
    INFO(path);
    HttpResult foreign = gateway.admin_request("GET", path, "", {{"Host", "evil.example:" + port}});
    CHECK(foreign.status == 421);
    CHECK(foreign.body.find(R"({"error":{"code":"misdirected_request")") == 0);
  }
  CHECK(gateway.admin_request("GET", "/api/flows", "", {{"Host", "127.0.0.1:1"}}).status == 421);
  CHECK(gateway.admin_request("GET", "/api/flows", "", {{"Host", "localhost:" + port}}).status == 200);
  CHECK(gateway.admin_request("GET", "/api/flows", "", {{"Host", "GW.hospital.example:" + port}}).status == 200);
  CHECK(gateway.admin_request("GET", "/api/flows").status == 200);

  // A browser says where a request comes from; the admin API answers only its own pages.
  HttpResult evil = gateway.admin_request("GET", "/api/messages", "", {{"Origin", "http://evil.example"}});
  CHECK(evil.status == 403);
  CHECK(evil.body.find(R"({"error":{"code":"forbidden")") == 0);
  CHECK(gateway.admin_request("GET", "/api/flows", "", {{"Origin", "null"}}).status == 403);
  CHECK(gateway.admin_request("GET", "/api/flows", "", {{"Sec-Fetch-Site", "cross-site"}}).status == 403);
  CHECK(gateway.admin_request("GET", "/api/flows", "", {{"Sec-Fetch-Site", "same-site"}}).status == 403);
  const std::map<std::string, std::string> own{{"Origin", "http://" + gateway.admin()},
                                               {"Sec-Fetch-Site", "same-origin"}};
  CHECK(gateway.admin_request("GET", "/api/flows", "", own).status == 200);

  // What a cross-origin form or fetch() can send without a preflight: refused, nothing reloaded.
  HttpResult text = gateway.admin_request("POST", "/api/reload", "{}", {{"Content-Type", "text/plain"}});
  CHECK(text.status == 415);
  CHECK(text.body.find(R"({"error":{"code":"unsupported_media_type")") == 0);
  CHECK(gateway.admin_request("POST", "/api/reload", "a=b", {{"Content-Type", "application/x-www-form-urlencoded"}})
            .status == 415);
  CHECK(gateway.admin_request("POST", "/api/reload", "", {{"Content-Type", "text/plain;charset=UTF-8"}}).status == 415);
  CHECK(generation_of(gateway) == 1);
  CHECK(gateway.admin_request("GET", "/api/flows").body.find(R"("lastReload":{"ok":true,"generation":1,)") !=
        std::string::npos);

  // JSON, or no body at all, is what the CLI and scripts send.
  CHECK(gateway.admin_request("POST", "/api/reload", "{}", {{"Content-Type", "application/json; charset=utf-8"}})
            .status == 200);
  CHECK(gateway.admin_request("POST", "/api/reload").status == 200);
  CHECK(generation_of(gateway) == 3);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("admin API: a listen address off loopback is a load error unless admin.tls is set",
          "[integration][e2e][admin]") {
  TempDir dir;
  write_ping_flow(dir);
  auto check = [&](const std::string& admin) {
    dir.write("qiao.yaml", "admin: " + admin + "\nflows: [ \"flows/*.yaml\" ]\n");
    return run_command({QIAO_BINARY, "check", "-c", "qiao.yaml"}, "", dir.path());
  };
  for (const std::string listen : {"0.0.0.0:9900", "192.0.2.10:9900", ":9900", "[::]:9900"}) {
    INFO(listen);
    CommandResult refused = check("{ listen: \"" + listen + "\" }");
    INFO(refused.output);
    CHECK(refused.status == 1);
    CHECK(refused.output.find("admin.listen: '" + listen +
                              "' is not a loopback address; the admin API serves other "
                              "interfaces only over TLS") != std::string::npos);
  }
  for (const std::string listen : {"127.0.0.1:9900", "127.0.0.2:9900", "[::1]:9900", "localhost:9900"}) {
    INFO(listen);
    CommandResult loopback = check("{ listen: \"" + listen + "\" }");
    INFO(loopback.output);
    CHECK(loopback.status == 0);
  }
  const std::string tls = std::string(", tls: { cert: \"") + QIAO_SOURCE_DIR + "/tests/data/tls/server.crt\", key: \"" +
                          QIAO_SOURCE_DIR + "/tests/data/tls/server.key\" }";
  CommandResult with_tls = check("{ listen: \"0.0.0.0:9900\"" + tls + " }");
  INFO(with_tls.output);
  CHECK(with_tls.status == 0);

  // `qiao run` stops at the same error before it binds anything.
  dir.write("qiao.yaml", "admin: { listen: \"0.0.0.0:0\" }\nflows: [ \"flows/*.yaml\" ]\n");
  CommandResult run = run_command({QIAO_BINARY, "run", "-c", "qiao.yaml"}, "", dir.path());
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK(run.output.find("is not a loopback address") != std::string::npos);
}

TEST_CASE("admin API over TLS: curl with the CA and the token is answered, plain HTTP is not",
          "[integration][e2e][admin][tls]") {
  TempDir dir;
  write_ping_flow(dir);
  const std::string tls = std::string("tls: { cert: \"") + QIAO_SOURCE_DIR + "/tests/data/tls/server.crt\", key: \"" +
                          QIAO_SOURCE_DIR + "/tests/data/tls/server.key\" }";
  dir.write("qiao.yaml", config_without_token(", " + tls));
  ChildProcess gateway({QIAO_BINARY, "run", "-c", "qiao.yaml"}, dir.path());
  REQUIRE(gateway.wait_for_output("admin token in ", std::chrono::seconds(30)));
  const std::string output = gateway.output();
  const auto line = output.find("admin listening on ");
  REQUIRE(line != std::string::npos);
  const std::string address = output.substr(line + 19, output.find('\n', line) - line - 19);
  const std::string port = address.substr(address.rfind(':') + 1);
  std::string token = read_file(dir.path() + "/var/admin.token");
  REQUIRE(!token.empty());
  token.pop_back();

  // The certificate names localhost and 127.0.0.1; https://localhost:PORT is an origin of its own.
  CommandResult flows = run_command({"curl", "-sS", "--max-time", "10", "--cacert",
                                     std::string(QIAO_SOURCE_DIR) + "/tests/data/tls/ca.crt", "-H",
                                     "Authorization: Bearer " + token, "-H", "Origin: https://localhost:" + port, "-w",
                                     "\nstatus=%{http_code}", "https://localhost:" + port + "/api/flows"});
  INFO(flows.output);
  CHECK(flows.status == 0);
  CHECK(flows.output.find("\"id\":\"ping\"") != std::string::npos);
  CHECK(flows.output.find("\nstatus=200") != std::string::npos);
  CommandResult untokened = run_command({"curl", "-sS", "--max-time", "10", "--cacert",
                                         std::string(QIAO_SOURCE_DIR) + "/tests/data/tls/ca.crt", "-o", "/dev/null",
                                         "-w", "%{http_code}", "https://127.0.0.1:" + port + "/api/flows"});
  CHECK(untokened.output == "401");
  CHECK(http_request(address, "GET", "/healthz").status == 0);
  CHECK(gateway.stop() == 0);
}
