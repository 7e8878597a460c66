// `qiao send` as an integration engineer pokes a peer with it: HL7 files over MLLP with the ACKs
// printed and the exit status telling whether all were accepted, and one message in any framing
// (JSON through a codec, or hex) with the reply printed. The peers are played by the test.

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "app/plugins.hpp"
#include "core/codec.hpp"
#include "core/codec_name.hpp"
#include "tests/integration/support/framed_peer.hpp"
#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

// ACKs every message: AE when it names patient BAD, AA otherwise; MSA-2 echoes MSH-10.
void answer_hl7(FramedConnection& connection, std::mutex& mutex, std::vector<std::string>& received) {
  while (auto message = connection.read(10s)) {
    {
      std::lock_guard lock(mutex);
      received.push_back(*message);
    }
    const auto control_start = [&] {
      std::size_t at = 0;
      for (int bars = 0; bars < 9 && at != std::string::npos; ++bars) at = message->find('|', at + 1);
      return at == std::string::npos ? at : at + 1;
    }();
    const std::string control = control_start == std::string::npos
                                    ? ""
                                    : message->substr(control_start, message->find('|', control_start) - control_start);
    const bool bad = message->find("PID|1||BAD") != std::string::npos;
    connection.write("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260101120000||ACK^A01^ACK|A" + control + "|P|2.3\r" +
                     (bad ? "MSA|AE|" + control + "|unknown patient\r" : "MSA|AA|" + control + "\r"));
  }
}

}  // namespace

TEST_CASE("qiao send mllp: files over one connection, ACKs printed, exit 1 on AE", "[integration][tcp][cli][send]") {
  std::mutex mutex;
  std::vector<std::string> received;
  FramedPeer lis("mllp", [&](FramedConnection& connection) { answer_hl7(connection, mutex, received); });
  TempDir dir;
  // Written as an editor saves them: LF line ends, a final newline.
  dir.write("a01.hl7", "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101120000||ADT^A01|MSG001|P|2.3\nPID|1||P001||Zhang^San\n");
  dir.write("a08.hl7", "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101120000||ADT^A08|MSG002|P|2.3\r\nPID|1||P002||Li^Si\r\n");
  dir.write("bad.hl7", "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101120000||ADT^A01|MSG003|P|2.3\nPID|1||BAD||Wang^Wu\n");

  CommandResult ok =
      run_command({QIAO_BINARY, "send", "mllp", lis.address(), dir.path() + "/a01.hl7", dir.path() + "/a08.hl7"});
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK(ok.output ==
        "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260101120000||ACK^A01^ACK|AMSG001|P|2.3\nMSA|AA|MSG001\n"
        "\n"
        "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260101120000||ACK^A01^ACK|AMSG002|P|2.3\nMSA|AA|MSG002\n");
  CHECK(lis.accepted() == 1);
  {
    std::lock_guard lock(mutex);
    REQUIRE(received.size() == 2);
    CHECK(received[0] == "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101120000||ADT^A01|MSG001|P|2.3\rPID|1||P001||Zhang^San\r");
    CHECK(received[1] == "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101120000||ADT^A08|MSG002|P|2.3\rPID|1||P002||Li^Si\r");
  }

  CommandResult rejected =
      run_command({QIAO_BINARY, "send", "mllp", lis.address(), dir.path() + "/bad.hl7", dir.path() + "/a01.hl7"});
  INFO(rejected.output);
  CHECK(rejected.status == 1);
  CHECK(rejected.output.find("MSA|AE|MSG003|unknown patient\n") != std::string::npos);
  CHECK(rejected.output.find("MSA|AA|MSG001\n") != std::string::npos);  // the next file was still sent
  CHECK(rejected.output.find("bad.hl7: acknowledged AE") != std::string::npos);
}

TEST_CASE("qiao send mllp: a peer that never answers ends in --timeout with exit 1", "[integration][tcp][cli][send]") {
  FramedPeer silent("mllp", [](FramedConnection& connection) {
    (void)connection.read(10s);
    (void)connection.read(10s);
  });
  TempDir dir;
  dir.write("a01.hl7", "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101120000||ADT^A01|MSG001|P|2.3\nPID|1||P001\n");
  const auto started = std::chrono::steady_clock::now();
  CommandResult r =
      run_command({QIAO_BINARY, "send", "mllp", "--timeout", "300ms", silent.address(), dir.path() + "/a01.hl7"});
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("timed out after 300 ms waiting for the reply") != std::string::npos);
  CHECK(took >= 280ms);
  CHECK(took < 5s);

  const RefusingPort refusing;
  const int closed = refusing.port();
  CommandResult refused =
      run_command({QIAO_BINARY, "send", "mllp", "127.0.0.1:" + std::to_string(closed), dir.path() + "/a01.hl7"});
  CHECK(refused.status == 1);
  CHECK(refused.output.find("cannot connect to 127.0.0.1:" + std::to_string(closed)) != std::string::npos);
}

TEST_CASE("qiao send tcp: ISO 8583 from JSON over a 2-byte length prefix, the reply printed as JSON",
          "[integration][tcp][cli][send]") {
  auto iso = *qiao::build_codec(qiao::all_plugins().codecs, "iso8583:cup", QIAO_SOURCE_DIR);
  FramedPeer host("{length: 2}", [&](FramedConnection& connection) {
    auto payload = connection.read();
    if (!payload) return;
    auto request = iso->decode(qiao::make_buffer(*payload));
    if (!request) return;
    qiao::Value reply = *request;
    reply.as_object().set("mti", "0210");
    reply.as_object().set("39", "00");
    connection.write(*iso->encode(reply));
    (void)connection.read(2s);
  });
  const std::string request = R"({"mti":"0200","3":"000000","4":"000000012345","11":"000042","41":"T0000001"})";
  CommandResult r =
      run_command({QIAO_BINARY, "send", "tcp", host.address(), "--framing", "length:2", "--codec", "iso8583:cup"},
                  request, QIAO_SOURCE_DIR);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output == R"({"mti":"0210","tpdu":"6000000000","header":"603100000000","3":"000000","4":"000000012345",)"
                    R"("11":"000042","39":"00","41":"T0000001"})"
                    "\n");
}

TEST_CASE("qiao send tcp --hex: bytes in, bytes out, any framing", "[integration][tcp][cli][send]") {
  FramedPeer host("{length: 4, encoding: ascii}", [](FramedConnection& connection) {
    auto payload = connection.read();
    if (!payload) return;
    connection.write(std::string(payload->rbegin(), payload->rend()));
    (void)connection.read(2s);
  });
  CommandResult r = run_command({QIAO_BINARY, "send", "tcp", host.address(), "--framing", "length:4:ascii", "--hex"},
                                "01 02 0a ff\n");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output == "FF0A0201\n");

  CommandResult bad = run_command({QIAO_BINARY, "send", "tcp", host.address(), "--framing", "length:3", "--hex"}, "00");
  CHECK(bad.status == 2);
  CHECK(bad.output == "qiao send: framing 'length:3': a binary length prefix has 1, 2 or 4 bytes\n");

  CommandResult help = run_command({QIAO_BINARY, "send", "tcp", "--help"});
  CHECK(help.output.find("length:N[:binary|ascii|bcd][:self]") != std::string::npos);
}
