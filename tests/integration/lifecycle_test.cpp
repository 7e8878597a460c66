// The gateway's life: a SIGTERM lets the request in flight finish, and a reload moves
// listeners (a flow's new port opens, a port no flow uses closes, a port that stays keeps its
// connections).

#include <catch2/catch.hpp>
#include <signal.h>
#include <unistd.h>

#include <atomic>
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

TEST_CASE("reload moves a flow to a new port, a port that stays keeps its connections", "[integration][e2e][listeners]") {
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
  CHECK(flows.body.find("\"source\":\"http POST 127.0.0.1:" + std::to_string(new_port) + "/move\"") != std::string::npos);
  CHECK(gateway.stop() == 0);
}
