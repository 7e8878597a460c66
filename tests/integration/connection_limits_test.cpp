// Hostile clients against the listeners: one address holding more trickling connections than the
// process has descriptors while another client is served and the admin API answers, and the
// header deadline that cuts a trickle. And the load error for listeners that cannot fit the
// descriptor limit.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

std::string echo_flow(const std::string& extra_source = "") {
  return "id: echo\n"
         "source:\n"
         "  http: { listen: \"127.0.0.1:0\", path: /echo, methods: [POST]" +
         extra_source +
         " }\n"
         "  decode: json\n"
         "reply:\n"
         "  lua: 'return { name = body.name }'\n";
}

// An MLLP listener on a free port, with `extra_source` at the end of its source block.
std::string ward_flow(const std::string& extra_source = "") {
  return "id: ward\n"
         "source:\n"
         "  tcp: { listen: \"127.0.0.1:0\", framing: mllp" +
         extra_source +
         " }\n"
         "  decode: hl7v2\n";
}

// A connection to "127.0.0.1:port" from `from` (any address of 127/8: all of it is loopback).
int connect_from(const std::string& from, const std::string& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True when the peer has closed `fd` (what it sent before, a 408, is read and dropped).
bool peer_closed(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
}

}  // namespace

TEST_CASE("one address trickling more connections than the fd limit locks no one out",
          "[integration][net][slow-clients]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("slow-clients-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/echo.yaml", echo_flow(", max_connections: 90, max_connections_per_address: 40, header_timeout: 2s"));
  // Soft and hard limit alike: qiao cannot raise it, and 300 connections would need more.
  GatewayProcess gateway(dir, {}, {}, {"prlimit", "--nofile=256:256"});
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());
  CHECK(wait_until(
      [&] {
        return read_file(dir.path() + "/var/log/system.log").find("open file limit: 256 (was 256)") !=
               std::string::npos;
      },
      std::chrono::seconds(5)));

  const std::string header = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Pad: ";
  std::vector<int> trickling;
  for (int i = 0; i < 300; ++i) {
    const int fd = connect_from("127.0.0.2", address);
    if (fd < 0) continue;
    trickling.push_back(fd);
    ::send(fd, header.data(), header.size(), MSG_NOSIGNAL);
  }
  REQUIRE(trickling.size() == 300);

  // While those connections are held and trickle (a byte each round), a client from another
  // address is served every time, and so is the admin API.
  int answered = 0;
  int healthy = 0;
  for (int i = 0; i < 10; ++i) {
    HttpResult r = http_request(address, "POST", "/echo", "{\"name\":\"n" + std::to_string(i) + "\"}");
    answered += r.status == 200 && r.body == "{\"name\":\"n" + std::to_string(i) + "\"}";
    healthy += http_request(gateway.admin(), "GET", "/healthz").status == 200;
    for (int fd : trickling) ::send(fd, "a", 1, MSG_NOSIGNAL);
  }
  CHECK(answered == 10);
  CHECK(healthy == 10);

  // The connections over the per-address limit were closed at once; the 40 accepted ones are cut
  // (with a 408) by the 2 s header deadline although a byte keeps arriving.
  // Each round waits for the server to answer or close one of them, or 100 ms, then trickles on.
  std::vector<int> open = trickling;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!open.empty() && std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> waiting;
    for (int fd : open) waiting.push_back(pollfd{fd, POLLIN, 0});
    ::poll(waiting.data(), waiting.size(), 100);
    std::erase_if(open, [](int fd) { return peer_closed(fd); });
    for (int fd : open) ::send(fd, "a", 1, MSG_NOSIGNAL);
  }
  INFO(open.size() << " of " << trickling.size() << " still open");
  CHECK(open.empty());
  for (int fd : trickling) ::close(fd);

  const std::string metrics = gateway.admin_request("GET", "/metrics").body;
  INFO(metrics);
  const std::string refused =
      "qiao_connections_refused_total{listener=\"http 127.0.0.1:0\",reason=\"max_connections_per_address\"} ";
  const auto at = metrics.find(refused);
  REQUIRE(at != std::string::npos);
  CHECK(std::stoul(metrics.substr(at + refused.size())) >= 260);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("listeners whose max_connections cannot fit the open file limit are a load error at the largest",
          "[integration][net][check]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("fd-limit-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/echo.yaml", echo_flow());
  dir.write("flows/ward.yaml", ward_flow());
  const auto check = [&](const std::string& nofile) {
    return run_command({"prlimit", "--nofile=" + nofile, QIAO_BINARY, "check", "-c", "qiao.yaml"}, "", dir.path());
  };

  // Defaults (http 10000, tcp 1000) shrink to what 1024 descriptors leave: 1024 - 96 - 64 = 864.
  {
    CommandResult defaults = check("1024:1024");
    INFO(defaults.output);
    CHECK(defaults.status == 0);
    CHECK(defaults.output.find("  listener http 127.0.0.1:0: max_connections 864 (default)\n") != std::string::npos);
    CHECK(defaults.output.find("  listener tcp 127.0.0.1:0: max_connections 864 (default)\n") != std::string::npos);
  }

  dir.write("flows/ward.yaml", ward_flow(", max_connections: 5000"));
  {
    CommandResult too_many = check("1024:1024");
    INFO(too_many.output);
    CHECK(too_many.status == 1);
    CHECK(too_many.output.find(dir.path() + "/flows/ward.yaml:3:65: max_connections: tcp 127.0.0.1:0 may hold 5000, "
                                            "but the open file limit 1024 leaves 864 descriptors for listeners") !=
          std::string::npos);
  }

  // The hard limit is the one `qiao run` raises itself to: a low soft limit alone fails nothing.
  rlimit own{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &own) == 0);
  if (own.rlim_max >= 5000 + 96 + 64) {
    CommandResult soft_only = check("1024:");
    INFO(soft_only.output);
    CHECK(soft_only.status == 0);
  } else {
    WARN("the hard open file limit " << own.rlim_max << " is below 5160: a soft-only limit is not tried");
  }

  // Limits that fit one by one but not together: the error is at the larger, with the sum.
  dir.write("flows/echo.yaml", echo_flow(", max_connections: 300"));
  dir.write("flows/ward.yaml", ward_flow(", max_connections: 600"));
  {
    CommandResult together = check("1024:1024");
    INFO(together.output);
    CHECK(together.status == 1);
    CHECK(together.output.find("/flows/ward.yaml:3:65: max_connections: tcp 127.0.0.1:0 may hold 600 (the listeners "
                               "that set max_connections: 900 together)") != std::string::npos);
  }
  // 900 + 96 + 64 = 1060 descriptors hold them exactly.
  CHECK(check("1059:1059").status == 1);
  CommandResult exact = check("1060:1060");
  INFO(exact.output);
  CHECK(exact.status == 0);
  CHECK(exact.output.find("  listener tcp 127.0.0.1:0: max_connections 600\n") != std::string::npos);
}
