// The gateway as a client sees it: the shipped quickstart answered through curl, every error a
// client can cause in its stable JSON shape (and found again in the business log and the
// journal), keep-alive and pipelining, 100-continue, routing on a failed call, qiao.call from
// Lua, and HTTPS.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
namespace fs = std::filesystem;

namespace {

// The stable error shape: {"error":{"code":CODE,"message":"…"},"messageId":ID}, with the
// X-Message-Id header equal to messageId. Returns the message text.
std::string check_error(const HttpResult& r, int status, const std::string& code) {
  INFO("status " << r.status << " body " << r.body << " transport " << r.error);
  CHECK(r.status == status);
  CHECK(r.header("content-type") == "application/json");
  const std::string id = r.header("x-message-id");
  CHECK(!id.empty());
  const std::string head = "{\"error\":{\"code\":\"" + code + "\",\"message\":\"";
  const std::string tail = "\"},\"messageId\":\"" + id + "\"}";
  REQUIRE(r.body.size() > head.size() + tail.size());
  CHECK(r.body.substr(0, head.size()) == head);
  CHECK(r.body.substr(r.body.size() - tail.size()) == tail);
  return r.body.substr(head.size(), r.body.size() - head.size() - tail.size());
}

// Reads `count` HTTP responses from a raw socket, in the order they arrive.
std::vector<HttpResult> read_responses(int fd, std::size_t count, std::chrono::milliseconds timeout) {
  namespace bhttp = boost::beast::http;
  std::vector<HttpResult> out;
  std::string data;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  parser.emplace();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count) {
    boost::system::error_code ec;
    while (!data.empty() && !parser->is_done()) {
      const std::size_t used = parser->put(boost::asio::buffer(data), ec);
      if (ec == bhttp::error::need_more) break;
      if (ec) return out;
      data.erase(0, used);
      if (used == 0) break;
    }
    if (parser->is_done()) {
      auto res = parser->release();
      HttpResult r;
      r.status = static_cast<int>(res.result_int());
      r.body = res.body();
      for (const auto& field : res) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(field.value());
      }
      out.push_back(std::move(r));
      parser.emplace();
      continue;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return out;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return out;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

// A flow that echoes `name` back, with a check on it.
std::string echo_flow(const std::string& listen, const std::string& extra_source = "") {
  return "id: echo\n"
         "source:\n"
         "  http: { listen: \"" +
         listen + "\", path: /echo, methods: [POST]" + extra_source +
         " }\n"
         "  decode: json\n"
         "steps:\n"
         "  - check: { required: [name], types: { name: string } }\n"
         "reply:\n"
         "  lua: 'return { name = body.name, size = #msg.raw }'\n";
}

}  // namespace

TEST_CASE("quickstart: registration through curl, unknown department refused", "[integration][e2e][quickstart]") {
  TempDir dir;
  copy_shipped_config(dir);
  const int port = free_port();
  GatewayProcess gateway(dir, {},
                         {{"QIAO_HTTP_PORT", std::to_string(port)},
                          {"QIAO_ADMIN", "127.0.0.1:0"},
                          {"QIAO_MLLP_PORT", "0"},
                          {"QIAO_LIS_PORT", std::to_string(free_port())},
                          {"QIAO_BANK_PORT", std::to_string(free_port())},
                          {"QIAO_SOAP_PORT", std::to_string(free_port())},
                          {"QIAO_HIS_SOAP_PORT", std::to_string(free_port())},
                          {"QIAO_HIS_PORT", std::to_string(free_port())}});
  REQUIRE(gateway.listener("http 0.0.0.0:" + std::to_string(port)) == "0.0.0.0:" + std::to_string(port));

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/api/registration";
  CommandResult ok =
      run_command({"curl", "-sS", "--max-time", "10", "-w", "\n%{http_code} %{content_type}", "-X", "POST", url, "-H",
                   "Content-Type: application/json", "-d", R"({"patientId":"P001","deptCode":"0101"})"});
  INFO(ok.output);
  REQUIRE(ok.status == 0);
  const auto newline = ok.output.rfind('\n');
  const std::string body = ok.output.substr(0, newline);
  CHECK(ok.output.substr(newline + 1) == "200 application/json");
  CHECK(body.find("\"dept\":\"Internal Medicine\"") != std::string::npos);
  CHECK(body.find("\"regNo\":\"R") != std::string::npos);
  CHECK(body.find("\"queueNo\":") != std::string::npos);
  CHECK(body.find("\"messageId\":\"") != std::string::npos);

  CommandResult rejected =
      run_command({"curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}", "-X", "POST", url, "-H",
                   "Content-Type: application/json", "-d", R"({"patientId":"P002","deptCode":"9999"})"});
  INFO(rejected.output);
  REQUIRE(rejected.status == 0);
  CHECK(rejected.output.substr(rejected.output.rfind('\n') + 1) == "409");
  CHECK(rejected.output.find(R"({"error":{"code":"his_rejected",)"
                             R"("message":"department 9999 has no clinic today"},"messageId":")") == 0);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("every client-caused error has the stable JSON shape, a log line and a journal entry",
          "[integration][e2e][errors]") {
  TempDir dir;
  // The peer behind the `silent` endpoint accepts and never answers.
  TcpPeer silent(never_answer);
  const RefusingPort refusing;
  const int closed_port = refusing.port();
  dir.write("qiao.yaml", server_config("errors-test"));
  dir.write("endpoints.yaml", "silent: { http: { url: \"http://" + silent.address() +
                                  "/never\" }, timeout: 300ms }\n"
                                  "closed: { http: { url: \"http://127.0.0.1:" +
                                  std::to_string(closed_port) +
                                  "/gone\" },\n"
                                  "          timeout: 2s, connect_timeout: 1s }\n");
  dir.write("flows/echo.yaml", echo_flow("127.0.0.1:0", ", max_body: 1KiB, max_header: 1KiB"));
  dir.write("flows/slow.yaml",
            "id: slow\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /slow, methods: [POST] }\n  decode: json\n"
            "steps:\n  - call: { endpoint: silent }\n");
  dir.write("flows/down.yaml",
            "id: down\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /down, methods: [POST] }\n  decode: json\n"
            "steps:\n  - call: { endpoint: closed }\n");
  dir.write("flows/broken.yaml",
            "id: broken\n"                                                           // 1
            "source:\n"                                                              // 2
            "  http: { listen: \"127.0.0.1:0\", path: /broken, methods: [POST] }\n"  // 3
            "steps:\n"                                                               // 4
            "  - lua: |\n"                                                           // 5
            "      local ward = nil\n"                                               // 6
            "      return ward.beds\n");                                             // 7
  dir.write("flows/refuse.yaml",
            "id: refuse\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /refuse, methods: [POST] }\n"
            "steps:\n  - lua: 'qiao.fail(\"check_failed\", \"ward 7 is full\")'\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  struct Expectation {
    std::string what, id, code;
    int status;
    std::string request;  // the raw body the journal keeps
  };
  std::vector<Expectation> seen;
  auto remember = [&](const std::string& what, const HttpResult& r, const std::string& code,
                      const std::string& request = "") {
    seen.push_back(Expectation{what, r.header("x-message-id"), code, r.status, request});
  };

  // The byte offset of the error: the input ends after `"name":` at byte 8.
  const std::string malformed = R"({"name":)";
  HttpResult r = http_request(address, "POST", "/echo", malformed);
  std::string message = check_error(r, 400, "bad_input");
  CHECK(message.find("at byte 8") != std::string::npos);
  remember("malformed", r, "bad_input", malformed);

  r = http_request(address, "POST", "/echo", R"({"nom":"x"})");
  message = check_error(r, 400, "check_failed");
  CHECK(message == "missing required field 'name'");
  remember("check", r, "check_failed", R"({"nom":"x"})");

  r = http_request(address, "GET", "/no/such/path");
  message = check_error(r, 404, "not_found");
  CHECK(message.find("/no/such/path") != std::string::npos);
  remember("unknown path", r, "not_found");

  r = http_request(address, "PUT", "/echo", R"({"name":"x"})");
  message = check_error(r, 405, "method_not_allowed");
  CHECK(r.header("allow") == "POST");
  remember("wrong method", r, "method_not_allowed");

  const std::string big = "{\"name\":\"" + std::string(2000, 'x') + "\"}";
  r = http_request(address, "POST", "/echo", big);
  message = check_error(r, 413, "too_large");
  CHECK(message.find("1024") != std::string::npos);
  remember("body too large", r, "too_large");

  r = http_request(address, "POST", "/echo", R"({"name":"x"})", {{"X-Padding", std::string(2000, 'p')}});
  message = check_error(r, 431, "too_large");
  CHECK(message.find("header") != std::string::npos);
  remember("header too large", r, "too_large");

  // Just under the limits still passes (the limits are not off by a lot).
  r = http_request(address, "POST", "/echo", "{\"name\":\"" + std::string(900, 'y') + "\"}");
  CHECK(r.status == 200);
  CHECK(r.body == "{\"name\":\"" + std::string(900, 'y') + "\",\"size\":911}");

  const auto started = std::chrono::steady_clock::now();
  r = http_request(address, "POST", "/slow", "{}");
  const auto waited = std::chrono::steady_clock::now() - started;
  message = check_error(r, 504, "timeout");
  CHECK(waited >= std::chrono::milliseconds(280));
  CHECK(waited < std::chrono::seconds(3));
  CHECK(silent.accepted() >= 1);
  remember("endpoint timeout", r, "timeout", "{}");

  r = http_request(address, "POST", "/down", "{}");
  message = check_error(r, 502, "unavailable");
  CHECK(message.find(std::to_string(closed_port)) != std::string::npos);
  remember("endpoint unreachable", r, "unavailable", "{}");

  r = http_request(address, "POST", "/broken", "{}");
  message = check_error(r, 500, "flow");
  CHECK(message.find("broken.yaml:7:") != std::string::npos);
  remember("lua error", r, "flow", "{}");

  r = http_request(address, "POST", "/refuse", "{}");
  message = check_error(r, 400, "check_failed");
  CHECK(message == "ward 7 is full");
  remember("qiao.fail", r, "check_failed", "{}");

  // One business-log line per request, found by its message id (the log is flushed every second).
  const std::string log_path = dir.path() + "/var/log/business.log";
  auto lines_with = [&](const std::string& id) {
    std::istringstream log(read_file(log_path));
    int n = 0;
    for (std::string line; std::getline(log, line);) n += line.find(" id=" + id + " ") != std::string::npos;
    return n;
  };
  CHECK(wait_until([&] { return lines_with(seen.back().id) == 1; }, std::chrono::seconds(3)));
  for (const auto& e : seen) {
    INFO(e.what << " " << e.id);
    REQUIRE(!e.id.empty());
    CHECK(lines_with(e.id) == 1);
    std::istringstream log(read_file(log_path));
    for (std::string line; std::getline(log, line);) {
      if (line.find(" id=" + e.id + " ") == std::string::npos) continue;
      CHECK(line.find(" outcome=" + e.code + " ") != std::string::npos);
      CHECK(line.find(" status=" + std::to_string(e.status) + " ") != std::string::npos);
    }
  }

  // The journal (written asynchronously) has each of them, with the request as it came.
  for (const auto& e : seen) {
    INFO(e.what << " " << e.id);
    HttpResult found;
    const bool journaled = wait_until([&] {
      found = gateway.admin_request("GET", "/api/messages?id=" + e.id);
      return found.body.find("\"id\":\"" + e.id + "\"") != std::string::npos;
    });
    INFO(found.body);
    CHECK(journaled);
    CHECK(found.status == 200);
    CHECK(found.body.find("\"outcome\":\"" + e.code + "\"") != std::string::npos);
    CHECK(found.body.find("\"status\":" + std::to_string(e.status) + ",") != std::string::npos);
    if (!e.request.empty()) {
      std::string quoted;
      for (char c : e.request) quoted += c == '"' ? std::string("\\\"") : std::string(1, c);
      CHECK(found.body.find("\"request\":\"" + quoted + "\"") != std::string::npos);
    }
  }
  CHECK(gateway.stop() == 0);
}

TEST_CASE("keep-alive serves 100 requests on one connection, pipelined requests answer in order",
          "[integration][e2e][keepalive]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("keepalive-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/echo.yaml", echo_flow("127.0.0.1:0"));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  HttpClient client(address);
  int good = 0;
  for (int i = 0; i < 100; ++i) {
    HttpResult r = client.request("POST", "/echo", "{\"name\":\"n" + std::to_string(i) + "\"}");
    good += r.status == 200 && r.body.find("\"name\":\"n" + std::to_string(i) + "\"") != std::string::npos;
  }
  CHECK(good == 100);
  CHECK(client.connections_opened() == 1);

  const int fd = connect_tcp(address);
  REQUIRE(fd >= 0);
  const std::string first = R"({"name":"first"})";
  const std::string second = R"({"name":"second"})";
  auto request = [&](const std::string& body) {
    return "POST /echo HTTP/1.1\r\nHost: " + address +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  // Both requests leave in one write: the server must read the second from what it buffered.
  REQUIRE(write_all(fd, request(first) + request(second)));
  const auto responses = read_responses(fd, 2, std::chrono::seconds(10));
  ::close(fd);
  REQUIRE(responses.size() == 2);
  CHECK(responses[0].status == 200);
  CHECK(responses[0].body == R"({"name":"first","size":16})");
  CHECK(responses[1].status == 200);
  CHECK(responses[1].body == R"({"name":"second","size":17})");
  CHECK(responses[0].header("x-message-id") != responses[1].header("x-message-id"));
  CHECK(gateway.stop() == 0);
}

TEST_CASE("Expect: 100-continue with a body over 1 KiB is answered promptly", "[integration][e2e][continue]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("continue-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/echo.yaml", echo_flow("127.0.0.1:0"));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  const std::string body = "{\"name\":\"" + std::string(4000, 'c') + "\"}";
  dir.write("body.json", body);
  const auto started = std::chrono::steady_clock::now();
  // curl waits --expect100-timeout for the 100 before it sends the body anyway: 10 s here, so a
  // server that never says 100 Continue makes this slow and the check below fails.
  CommandResult r =
      run_command({"curl", "-sS", "-v", "--max-time", "20", "--expect100-timeout", "10", "-w", "\nstatus=%{http_code}",
                   "-H", "Content-Type: application/json", "-H", "Expect: 100-continue", "--data-binary",
                   "@" + dir.path() + "/body.json", "http://" + address + "/echo"});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("> Expect: 100-continue") != std::string::npos);
  CHECK(r.output.find("< HTTP/1.1 100 Continue") != std::string::npos);
  CHECK(r.output.find("\nstatus=200") != std::string::npos);
  CHECK(r.output.find("\"size\":" + std::to_string(body.size())) != std::string::npos);
  CHECK(elapsed < std::chrono::seconds(3));
  CHECK(gateway.stop() == 0);
}

TEST_CASE("call with on_error: continue lets a route answer 503 with its own body", "[integration][e2e][route]") {
  TempDir dir;
  const int port = free_port();
  const RefusingPort refusing;
  const int closed_port = refusing.port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  dir.write("qiao.yaml", server_config("route-test"));
  dir.write("endpoints.yaml", "inventory: { http: { url: \"http://" + listen +
                                  "/inventory\" }, timeout: 5s }\n"
                                  "offline: { http: { url: \"http://127.0.0.1:" +
                                  std::to_string(closed_port) +
                                  "/inventory\" },\n"
                                  "           timeout: 2s, connect_timeout: 1s }\n");
  dir.write("flows/inventory.yaml", "id: inventory\nsource:\n  http: { listen: \"" + listen +
                                        "\", path: /inventory, methods: [POST] }\n  decode: json\n"
                                        "reply:\n  lua: 'return { beds = 3, ward = body.ward }'\n");
  // The same flow twice, against a reachable and an unreachable inventory.
  for (const std::string endpoint : {"inventory", "offline"}) {
    dir.write("flows/beds-" + endpoint + ".yaml",
              "id: beds-" + endpoint +
                  "\n"
                  "source:\n  http: { listen: \"" +
                  listen + "\", path: /beds/" + endpoint +
                  ", methods: [POST] }\n  decode: json\n"
                  "steps:\n"
                  "  - call: { endpoint: " +
                  endpoint +
                  ", into: stock, on_error: continue }\n"
                  "  - route:\n"
                  "      - when: vars.stock.error\n"
                  "        reply:\n"
                  "          status: 503\n"
                  "          headers: { Retry-After: \"30\" }\n"
                  "          lua: 'return { error = { code = \"inventory_down\", cause = vars.stock.error.code } }'\n"
                  "      - otherwise:\n"
                  "          reply: { lua: 'return { free = vars.stock.beds, ward = vars.stock.ward }' }\n"
                  "reply:\n  body: { unreachable: true }\n");
  }
  GatewayProcess gateway(dir);

  HttpResult up = http_request(listen, "POST", "/beds/inventory", R"({"ward":"W3"})");
  CHECK(up.status == 200);
  CHECK(up.body == R"({"free":3,"ward":"W3"})");

  HttpResult down = http_request(listen, "POST", "/beds/offline", R"({"ward":"W3"})");
  CHECK(down.status == 503);
  CHECK(down.header("content-type") == "application/json");
  CHECK(down.header("retry-after") == "30");
  // Lua tables have no key order; the JSON codec writes their keys sorted.
  CHECK(down.body == R"({"error":{"cause":"unavailable","code":"inventory_down"}})");
  CHECK(!down.header("x-message-id").empty());
  CHECK(gateway.stop() == 0);
}

TEST_CASE("qiao.call from Lua reaches another flow with the headers it passed", "[integration][e2e][luacall]") {
  TempDir dir;
  const int port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  dir.write("qiao.yaml", server_config("luacall-test"));
  dir.write("endpoints.yaml",
            "patients:\n"
            "  http: { url: \"http://" +
                listen +
                "/patients/lookup\", headers: { X-Fixed: always } }\n"
                "  timeout: 5s\n");
  dir.write("flows/patients.yaml",
            "id: patients\nsource:\n"
            "  http: { listen: \"" +
                listen +
                "\", path: /patients/lookup, methods: [POST] }\n  decode: json\n"
                "reply:\n"
                "  lua: |\n"
                "    return { id = body.id, name = \"Zhang San\", channel = msg.headers[\"x-channel\"],\n"
                "             trace = msg.headers[\"x-trace-id\"], fixed = msg.headers[\"x-fixed\"] }\n");
  dir.write("flows/visit.yaml",
            "id: visit\nsource:\n  http: { listen: \"" + listen +
                "\", path: /visit, methods: [POST] }\n  decode: json\n"
                "steps:\n"
                "  - lua: |\n"
                "      local headers = { [\"X-Channel\"] = \"wechat\", [\"X-Trace-Id\"] = msg.trace_id }\n"
                "      local patient, meta = qiao.call(\"patients\", { id = body.patientId }, { headers = headers })\n"
                "      return qiao.reply(200, { patient = patient, status = meta.status })\n");
  GatewayProcess gateway(dir);

  HttpResult r = http_request(listen, "POST", "/visit", R"({"patientId":"P042"})", {{"X-Trace-Id", "trace-777"}});
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(
      r.body ==
      R"({"patient":{"channel":"wechat","fixed":"always","id":"P042","name":"Zhang San","trace":"trace-777"},"status":200})");
  CHECK(gateway.stop() == 0);
}

TEST_CASE("HTTPS source: curl verifies the certificate, plain HTTP on that port fails", "[integration][e2e][tls]") {
  TempDir dir;
  CommandResult made = run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                                    dir.path() + "/key.pem", "-out", dir.path() + "/cert.pem"});
  INFO(made.output);
  REQUIRE(made.status == 0);
  dir.write("qiao.yaml", server_config("tls-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/echo.yaml", echo_flow("127.0.0.1:0", ", tls: { cert: cert.pem, key: key.pem }"));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  CommandResult ok = run_command({"curl", "-sS", "--max-time", "10", "--cacert", dir.path() + "/cert.pem", "-w",
                                  "\nstatus=%{http_code}", "-H", "Content-Type: application/json", "-d",
                                  R"({"name":"secure"})", "https://" + address + "/echo"});
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK(ok.output == "{\"name\":\"secure\",\"size\":17}\nstatus=200");

  // Without the certificate as a trust anchor, curl refuses the server (exit 60).
  CommandResult untrusted =
      run_command({"curl", "-sS", "--max-time", "10", "-d", "{}", "https://" + address + "/echo"});
  CHECK(untrusted.status == 60);

  CommandResult plain =
      run_command({"curl", "-sS", "--max-time", "5", "-d", R"({"name":"x"})", "http://" + address + "/echo"});
  INFO(plain.output);
  CHECK(plain.status != 0);
  CHECK(plain.output.find("\"name\"") == std::string::npos);
  HttpResult raw = http_request(address, "POST", "/echo", R"({"name":"x"})");
  CHECK(raw.status == 0);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("concurrent messages keep their own Lua globals and their numbers as sent", "[integration][e2e][lua]") {
  // The peer holds every request until all of them have arrived, so every message is suspended in
  // its qiao.call at the same time, on the gateway's two workers.
  constexpr int clients = 20;
  std::mutex mutex;
  std::condition_variable all_arrived;
  int received = 0;
  TcpPeer peer([&](int fd) {
    for (;;) {
      if (read_http_request(fd).empty()) return;
      {
        std::unique_lock lock(mutex);
        ++received;
        all_arrived.notify_all();
        all_arrived.wait_for(lock, std::chrono::seconds(10), [&] { return received >= clients; });
      }
      if (!write_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")) return;
    }
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("lua-isolation-test"));
  dir.write("endpoints.yaml", "peer: { http: { url: \"http://" + peer.address() + "/wait\" }, timeout: 15s }\n");
  // `patient` lacks its `local`, as integration engineers' scripts often do.
  dir.write("flows/visit.yaml",
            "id: visit\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /visit, methods: [POST] }\n  decode: json\n"
            "steps:\n"
            "  - lua: |\n"
            "      patient = body.id\n"
            "      qiao.call(\"peer\", {})\n"
            "      vars.seen = true\n"
            "      return qiao.reply({ id = patient, amount = body.amount, total = body.total, rate = body.rate })\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  std::vector<HttpResult> results(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      results[i] = http_request(address, "POST", "/visit",
                                R"({"id":"P)" + std::to_string(i) + R"(","amount":12.50,"total":100.00,"rate":0.10})");
    });
  }
  for (auto& t : threads) t.join();
  CHECK(received == clients);
  for (int i = 0; i < clients; ++i) {
    INFO("client " << i << ": " << results[i].error);
    CHECK(results[i].status == 200);
    CHECK(results[i].body == R"({"amount":12.50,"id":"P)" + std::to_string(i) + R"(","rate":0.10,"total":100.00})");
  }
  CHECK(gateway.stop() == 0);
}

TEST_CASE("framing the server cannot take is refused in JSON, deadlines answer 408 and the journal says so",
          "[integration][e2e][framing]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("framing-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/echo.yaml", echo_flow("127.0.0.1:0", ", header_timeout: 1s, read_timeout: 1s"));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  const std::string head = "POST /echo HTTP/1.1\r\nHost: qiao\r\nContent-Type: application/json\r\n";
  // Sends `raw` on a new connection; the one answer, and whether the server closed after it.
  struct Answer {
    HttpResult response;
    bool closed = false;
  };
  const auto exchange = [&](const std::string& raw) {
    const int fd = connect_tcp(address);
    REQUIRE(fd >= 0);
    REQUIRE(write_all(fd, raw));
    Answer answer;
    auto responses = read_responses(fd, 1, std::chrono::seconds(5));
    if (!responses.empty()) answer.response = responses.front();
    char byte = 0;
    pollfd pfd{fd, POLLIN, 0};
    answer.closed = ::poll(&pfd, 1, 5000) == 1 && ::recv(fd, &byte, 1, 0) == 0;
    ::close(fd);
    return answer;
  };
  std::vector<std::pair<std::string, int>> journaled;  // message id, status

  Answer a = exchange(head + "Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n");
  CHECK(check_error(a.response, 400, "bad_input").find("malformed request body") != std::string::npos);
  CHECK(a.closed);
  journaled.emplace_back(a.response.header("x-message-id"), 400);

  a = exchange(head + "Transfer-Encoding: gzip, chunked\r\n\r\n14\r\n{\"name\":\"compressed\"}\r\n0\r\n\r\n");
  CHECK(check_error(a.response, 501, "bad_input").find("'gzip, chunked' is not supported") != std::string::npos);
  CHECK(a.closed);
  journaled.emplace_back(a.response.header("x-message-id"), 501);

  // A chunk extension is held to the header's limit (16 KiB here), a chunk's size line and the
  // trailer to what the read buffer holds (the header limit and 4 KiB).
  a = exchange(head + "Transfer-Encoding: chunked\r\n\r\nc;" + std::string(20'000, 'e') +
               "\r\n{\"name\":\"x\"}\r\n0\r\n\r\n");
  CHECK(check_error(a.response, 400, "bad_input").find("extension") != std::string::npos);
  CHECK(a.closed);
  a = exchange(head + "Transfer-Encoding: chunked\r\n\r\nc\r\n{\"name\":\"x\"}\r\n0\r\nX-Trailer: " +
               std::string(40'000, 't') + "\r\n\r\n");
  CHECK(check_error(a.response, 431, "too_large").find("trailer") != std::string::npos);
  CHECK(a.closed);
  // Small ones still pass.
  a = exchange(head + "Transfer-Encoding: chunked\r\n\r\nc;note=1\r\n{\"name\":\"x\"}\r\n0\r\nX-Trailer: t\r\n\r\n");
  CHECK(a.response.status == 200);
  CHECK(a.response.body == R"({"name":"x","size":12})");

  // A header trickled a byte at a time is not idle, but it gets the header deadline (1 s), and the
  // 408 the journal records is the one the client reads.
  {
    const int fd = connect_tcp(address);
    REQUIRE(fd >= 0);
    REQUIRE(write_all(fd, head));
    // The next byte goes when no answer came within 100 ms: the trickle waits on the answer.
    std::vector<HttpResult> responses;
    for (int i = 0; i < 50 && responses.empty(); ++i) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 100) == 1) {
        responses = read_responses(fd, 1, std::chrono::seconds(4));
      } else if (!write_all(fd, "X")) {
        break;
      }
    }
    ::close(fd);
    REQUIRE(responses.size() == 1);
    CHECK(check_error(responses.front(), 408, "timeout").find("header was not received within 1000 ms") !=
          std::string::npos);
    journaled.emplace_back(responses.front().header("x-message-id"), 408);
  }
  // A body that stops coming gets its 408 too.
  {
    const int fd = connect_tcp(address);
    REQUIRE(write_all(fd, head + "Content-Length: 100\r\n\r\n{\"name\":"));
    auto responses = read_responses(fd, 1, std::chrono::seconds(4));
    ::close(fd);
    REQUIRE(responses.size() == 1);
    check_error(responses.front(), 408, "timeout");
    journaled.emplace_back(responses.front().header("x-message-id"), 408);
  }
  // A connection that never sends a byte is closed at the deadline, with nothing to answer.
  {
    const int fd = connect_tcp(address);
    char byte = 0;
    pollfd pfd{fd, POLLIN, 0};
    CHECK(::poll(&pfd, 1, 4000) == 1);
    CHECK(::recv(fd, &byte, 1, 0) == 0);
    ::close(fd);
  }

  // Not a structured binding: clang 14 cannot capture one in the lambda below.
  for (const auto& entry : journaled) {
    const std::string& id = entry.first;
    const int status = entry.second;
    INFO(id);
    REQUIRE(!id.empty());
    HttpResult found;
    CHECK(wait_until([&] {
      found = gateway.admin_request("GET", "/api/messages?id=" + id);
      return found.body.find("\"status\":" + std::to_string(status) + ",") != std::string::npos;
    }));
  }
  CHECK(gateway.stop() == 0);
}
