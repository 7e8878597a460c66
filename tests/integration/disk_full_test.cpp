// A full disk, as the store meets it: a file size limit (RLIMIT_FSIZE, set on the running gateway
// with util-linux's prlimit) makes every write past the store's current size fail, as ENOSPC
// would. The gateway must then answer the HIS with AE instead of acknowledging what it cannot
// store, go on answering a request-reply flow that stores nothing, and take messages again once
// the limit is lifted; every message it acknowledged reaches the LIS (lis_peer.py,
// python3-hl7's MLLP server).

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "tests/integration/support/gateway_process.hpp"
#include "tests/integration/support/lis_peer.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

std::string adt(const std::string& control_id, const std::string& patient) {
  // About 1 kB, as a real ADT with its segments is.
  return "MSH|^~\\&|HIS|HOSP01|LIS|LAB01|20261204083000||ADT^A08^ADT_A01|" + control_id +
         "|P|2.5\r"
         "EVN|A08|20261204083000\r"
         "PID|1||" +
         patient + "^^^HOSP01^MR||Zhang^San||19900307|M|||" + std::string(900, 'A') +
         "\r"
         "PV1|1|I|W07^701^1\r";
}

std::uintmax_t largest_file(const std::string& dir) {
  std::uintmax_t largest = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) largest = std::max(largest, entry.file_size());
  return largest;
}

}  // namespace

TEST_CASE("disk full: the HIS gets AE instead of an AA the store cannot keep, request-reply goes on, and it recovers",
          "[integration][store_forward][disk_full]") {
  TempDir dir;
  LisPeer lis(dir.path());
  const int lis_port = lis.start();
  const int mllp_port = free_port();
  const int http_port = free_port();
  dir.write("qiao.yaml", server_config("disk-full"));
  dir.write("endpoints.yaml",
            "lis:\n"
            "  tcp: { connect: \"127.0.0.1:" +
                std::to_string(lis_port) +
                "\", framing: mllp, reconnect: { initial: 100ms, max: 500ms } }\n"
                "  codec: hl7v2\n");
  dir.write("flows/adt.yaml",
            "id: adt-to-lis\n"
            "source:\n"
            "  tcp: { listen: \"127.0.0.1:" +
                std::to_string(mllp_port) +
                "\", framing: mllp }\n"
                "  decode: hl7v2\n"
                "steps:\n"
                "  - send: { endpoint: lis, retry: { attempts: 1000, backoff: 100ms, max_backoff: 500ms } }\n");
  dir.write("flows/ping.yaml",
            "id: ping\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:" +
                std::to_string(http_port) +
                "\", path: /ping }\n"
                "reply:\n"
                "  lua: 'return \"pong\"'\n");
  GatewayProcess gateway(dir);
  INFO(gateway.output());
  MllpSender his("127.0.0.1:" + std::to_string(mllp_port));
  std::set<std::string> acknowledged;
  std::string last_refusal;  // the whole ACK, for the test's own output
  int sent = 0;
  auto send = [&]() -> std::string {
    char control[16];
    std::snprintf(control, sizeof control, "DF%05d", sent++);
    const auto ack = his.send(adt(control, "P" + std::to_string(sent % 5)));
    if (!ack) return "none";
    const std::string code = ack_code(*ack);
    if (code == "AA") acknowledged.insert(control);
    else last_refusal = *ack;
    return code;
  };
  for (int i = 0; i < 20; ++i) REQUIRE(send() == "AA");

  // From now on no file of the gateway may grow by more than 64 kB: the store's next batches fail.
  const std::uintmax_t limit = largest_file(dir.path()) + 64 * 1024;
  const std::string pid = std::to_string(gateway.pid());
  // The soft limit only: lifting it again needs no privilege (raising a hard limit would).
  const CommandResult limited =
      run_command({"prlimit", "--pid", pid, "--fsize=" + std::to_string(limit) + ":unlimited"});
  INFO(limited.output);
  REQUIRE(limited.status == 0);
  std::string refused;
  for (int i = 0; i < 3000 && refused.empty(); ++i) {
    const std::string code = send();
    if (code != "AA") refused = code;
  }
  INFO("sent " << sent << ", acknowledged " << acknowledged.size());
  // The sender hears that the message was not taken, in HL7, and the connection stays usable.
  CHECK(refused == "AE");
  // The connection still answers (whether the next write fits depends on where SQLite writes it).
  CHECK(send() != "none");
  CHECK(gateway.running());
  // The refusal came from a failed transaction. Journal rows need not have been in it: the refused
  // message's own row may go to a day file that still has room.
  CHECK(gateway.metric("qiao_store_write_failures_total") > 0.0);

  // A flow that needs no queue answers on.
  const HttpResult pong = http_request("127.0.0.1:" + std::to_string(http_port), "GET", "/ping");
  CHECK(pong.status == 200);
  CHECK_THAT(pong.body, Catch::Contains("pong"));

  // Space returns: the next message is acknowledged, and every acknowledged one reaches the LIS.
  REQUIRE(run_command({"prlimit", "--pid", pid, "--fsize=unlimited:unlimited"}).status == 0);
  CHECK(send() == "AA");
  const bool all_arrived = wait_until(
      [&] {
        std::set<std::string> arrived;
        for (const LisArrival& a : lis.arrivals()) arrived.insert(a.control_id);
        for (const std::string& control : acknowledged)
          if (!arrived.count(control)) return false;
        return true;
      },
      30s);
  CHECK(all_arrived);
  std::printf("disk full: %d sent, %zu acknowledged, all of them delivered: %s; refused with %s\n", sent,
              acknowledged.size(), all_arrived ? "yes" : "no", last_refusal.c_str());
  CHECK(gateway.stop() == 0);
}
