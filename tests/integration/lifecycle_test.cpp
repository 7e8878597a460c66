// The gateway's life: a SIGTERM lets the request in flight finish, and a reload moves
// listeners (a flow's new port opens, a port no flow uses closes, a port that stays keeps its
// connections).

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

std::string simple_flow(const std::string& id, int port, const std::string& path, const std::string& answer) {
  return "id: " + id + "\nsource:\n  http: { listen: \"127.0.0.1:" + std::to_string(port) + "\", path: " + path +
         ", methods: [POST] }\n  decode: json\nreply:\n  lua: 'return { answer = \"" + answer + "\" }'\n";
}

}  // namespace

TEST_CASE("SIGTERM lets the request in flight finish, then the gateway exits 0", "[integration][e2e][shutdown]") {
  // The peer answers every request after 500 ms.
  std::atomic<int> received{0};
  TcpPeer slow([&](int fd) {
    for (;;) {
      if (read_http_request(fd).empty()) return;
      ++received;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      const std::string body = R"({"done":true})";
      if (!write_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body)) {
        return;
      }
    }
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("shutdown-test"));
  dir.write("endpoints.yaml", "peer: { http: { url: \"http://" + slow.address() + "/work\" }, timeout: 5s }\n");
  dir.write("flows/slow.yaml",
            "id: slow\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /slow, methods: [POST] }\n  decode: json\n"
            "steps:\n  - call: { endpoint: peer, into: peer }\n"
            "reply:\n  lua: 'return { peer = vars.peer.done, n = body.n }'\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  std::atomic<bool> answered{false};
  HttpResult result;
  std::thread client([&] {
    result = http_request(address, "POST", "/slow", R"({"n":7})");
    answered = true;
  });
  // SIGTERM once the request has reached the peer, so it is surely in flight.
  REQUIRE(wait_until([&] { return received.load() == 1; }, std::chrono::seconds(5)));
  CHECK_FALSE(answered.load());
  const auto signalled = std::chrono::steady_clock::now();
  const int status = gateway.stop(std::chrono::seconds(10));
  const auto stopped_after = std::chrono::steady_clock::now() - signalled;
  client.join();

  INFO(result.error << " " << result.body);
  CHECK(result.status == 200);
  CHECK(result.body == R"({"n":7,"peer":true})");
  CHECK(status == 0);
  // It waited for the request, not for the drain timeout (10 s).
  CHECK(stopped_after < std::chrono::seconds(5));
  // Nothing listens on the port any more.
  CHECK(connect_tcp(address) < 0);
}

TEST_CASE(
    "a request still running at the drain timeout gets a 503, a log line and a journal row, and idle connections end "
    "at once",
    "[integration][e2e][shutdown]") {
  TcpPeer silent(never_answer);
  TempDir dir;
  std::string config = server_config("drain-test");
  config.replace(config.find("reload: {"), 9, "reload: { drain_timeout: 3s,");
  dir.write("qiao.yaml", config);
  dir.write("endpoints.yaml", "silent: { http: { url: \"http://" + silent.address() + "/never\" }, timeout: 60s }\n");
  dir.write("flows/stuck.yaml",
            "id: stuck\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /stuck, methods: [POST] }\n  decode: json\n"
            "steps:\n  - call: { endpoint: silent }\n");
  dir.write("flows/quick.yaml", simple_flow("quick", 0, "/quick", "fast"));
  std::string message_id;
  {
    GatewayProcess gateway(dir);
    const std::string address = gateway.listener("http 127.0.0.1:0");
    REQUIRE(!address.empty());
    // A keep-alive connection that has had its answer and waits for the next request.
    const int idle = connect_tcp(address);
    REQUIRE(write_all(idle, "POST /quick HTTP/1.1\r\nHost: q\r\nContent-Length: 2\r\n\r\n{}"));
    char answer[4096];
    REQUIRE(::recv(idle, answer, sizeof answer, 0) > 0);

    HttpResult stuck;
    std::atomic<bool> answered{false};
    std::thread client([&] {
      stuck = http_request(address, "POST", "/stuck", R"({"n":1})");
      answered = true;
    });
    REQUIRE(wait_until([&] { return silent.accepted() == 1; }, std::chrono::seconds(5)));
    gateway.signal(SIGTERM);
    // The idle connection is ended by the shutdown at once, while the stuck request still drains.
    pollfd pfd{idle, POLLIN, 0};
    CHECK(::poll(&pfd, 1, 5000) == 1);
    CHECK(::recv(idle, answer, sizeof answer, 0) == 0);
    CHECK_FALSE(answered.load());
    ::close(idle);
    CHECK(gateway.stop(std::chrono::seconds(10)) == 0);
    client.join();
    INFO(stuck.error << " " << stuck.body);
    CHECK(stuck.status == 503);
    CHECK(stuck.body.find(R"("code":"unavailable")") != std::string::npos);
    CHECK(stuck.body.find("drain_timeout") != std::string::npos);
    message_id = stuck.header("x-message-id");
  }
  REQUIRE(!message_id.empty());
  CHECK(read_file(dir.path() + "/var/log/system.log").find("1 request(s) still running after the drain timeout") !=
        std::string::npos);
  CHECK(read_file(dir.path() + "/var/log/business.log").find(" id=" + message_id + " ") != std::string::npos);
  // The journal row survives the stop: the next start finds it.
  GatewayProcess again(dir);
  HttpResult found = again.admin_request("GET", "/api/messages?id=" + message_id);
  INFO(found.body);
  CHECK(found.body.find("\"status\":503,") != std::string::npos);
  CHECK(again.stop() == 0);
}

TEST_CASE("reload moves a flow to a new port, a port that stays keeps its connections",
          "[integration][e2e][listeners]") {
  TempDir dir;
  const int stay_port = free_port();
  int old_port = free_port();
  while (old_port == stay_port) old_port = free_port();
  int new_port = free_port();
  while (new_port == old_port || new_port == stay_port) new_port = free_port();
  const std::string stay = "127.0.0.1:" + std::to_string(stay_port);
  dir.write("qiao.yaml", server_config("listeners-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/stay.yaml", simple_flow("stay", stay_port, "/stay", "v1"));
  dir.write("flows/mover.yaml", simple_flow("mover", old_port, "/move", "old"));
  GatewayProcess gateway(dir);
  REQUIRE(gateway.listener("http " + stay) == stay);
  REQUIRE(gateway.listener("http 127.0.0.1:" + std::to_string(old_port)) == "127.0.0.1:" + std::to_string(old_port));

  HttpClient kept(stay);
  CHECK(kept.request("POST", "/stay", "{}").body == R"({"answer":"v1"})");
  CHECK(http_request("127.0.0.1:" + std::to_string(old_port), "POST", "/move", "{}").body == R"({"answer":"old"})");

  dir.write("flows/stay.yaml", simple_flow("stay", stay_port, "/stay", "v2"));
  dir.write("flows/mover.yaml", simple_flow("mover", new_port, "/move", "new"));
  HttpResult reload = gateway.admin_request("POST", "/api/reload");
  INFO(reload.body);
  REQUIRE(reload.status == 200);

  // The new port serves the moved flow.
  HttpResult moved = http_request("127.0.0.1:" + std::to_string(new_port), "POST", "/move", "{}");
  CHECK(moved.status == 200);
  CHECK(moved.body == R"({"answer":"new"})");
  // The old port, with no flow left, stops accepting connections.
  CHECK(wait_until([&] {
    const int fd = connect_tcp("127.0.0.1:" + std::to_string(old_port));
    if (fd >= 0) ::close(fd);
    return fd < 0;
  }));
  // The port that stayed is the same listener: the open keep-alive connection goes on, and
  // now runs the new generation's flow.
  HttpResult again = kept.request("POST", "/stay", "{}");
  CHECK(again.status == 200);
  CHECK(again.body == R"({"answer":"v2"})");
  CHECK(kept.connections_opened() == 1);

  HttpResult flows = gateway.admin_request("GET", "/api/flows");
  CHECK(flows.body.find("\"source\":\"http POST 127.0.0.1:" + std::to_string(new_port) + "/move\"") !=
        std::string::npos);
  CHECK(gateway.stop() == 0);
}
