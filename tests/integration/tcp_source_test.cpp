// The tcp source as senders see it: HL7 over MLLP acknowledged for mllp_send (python3-hl7, an
// HL7 client none of us wrote), AE/AR in the sender's charset, pipelined and split frames,
// oversized frames and peers that vanish mid-frame, flows that write their own ACK, and a
// length-prefixed listener with a keep-alive frame.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/tcp/framing/frame_reader.hpp"
#include "core/text/charset.hpp"
#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
namespace tcp = qiao::tcp;

namespace {

// Reads frames from a blocking socket until `count` arrived, the peer closed, or `timeout`.
std::vector<std::string> read_frames(int fd, const tcp::Framing& framing, std::size_t count,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  tcp::FrameReader reader(framing);
  std::vector<std::string> frames;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (frames.size() < count) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    for (auto next = reader.next(); next && *next; next = reader.next()) frames.push_back(**next);
  }
  return frames;
}

// True when the gateway closed the connection (recv gives 0) within `timeout`.
bool closed_by_peer(int fd, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buffer[256];
  return ::recv(fd, buffer, sizeof buffer, 0) == 0;
}

tcp::Framing mllp() { return tcp::Framing{}; }

std::string mllp_frame(const std::string& payload) { return "\x0b" + payload + "\x1c\r"; }

// The segment of an ER7 message that starts with `id`, without its terminator.
std::string segment(const std::string& message, const std::string& id) {
  std::size_t at = message.rfind(id + "|", 0) == 0 ? 0 : message.find("\r" + id + "|");
  if (at == std::string::npos) return {};
  if (message[at] == '\r') ++at;
  return message.substr(at, message.find('\r', at) - at);
}

std::string adt(const std::string& control_id, const std::string& patient_id, const std::string& name = "Zhang^San") {
  return "MSH|^~\\&|HIS|HOSP01|LIS|LAB01|20261120083000||ADT^A01^ADT_A01|" + control_id +
         "|P|2.5\r"
         "EVN|A01|20261120083000\r"
         "PID|1||" +
         patient_id + "^^^HOSP01^MR||" + name +
         "||19900307|M\r"
         "PV1|1|I|W07^701^1\r";
}

// An MLLP flow: a patient id "UNKNOWN" makes it fail, "REJECT" fails its check.
std::string adt_flow(const std::string& extra_source = "", const std::string& decode = "hl7v2") {
  return "id: adt-in\n"
         "source:\n"
         "  tcp: { listen: \"127.0.0.1:0\"" +
         extra_source +
         " }\n"
         "  decode: " +
         decode +
         "\n"
         "steps:\n"
         "  - lua: |\n"
         "      local id = hl7.get(body, 'PID-3.1')\n"
         "      if id == 'UNKNOWN' then error('患者 ' .. id .. ' 不存在', 0) end\n"
         "      if id == 'REJECT' then qiao.fail('check_failed', 'PID-3 is not a hospital MRN') end\n";
}

}  // namespace

TEST_CASE("mllp_send gets an AA for every message of a file, on one connection", "[integration][tcp][mllp]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("mllp-send-test"));
  dir.write("endpoints.yaml", "{}\n");
  dir.write("flows/adt.yaml", adt_flow());
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("tcp 127.0.0.1:0");
  REQUIRE(!address.empty());

  // Written the way people keep HL7 files: LF line ends, one message after another.
  std::string file;
  for (const auto& [control_id, patient] : std::vector<std::pair<std::string, std::string>>{
           {"MSG00001", "100234"}, {"MSG00002", "UNKNOWN"}, {"MSG00003", "100235"}}) {
    std::string message = adt(control_id, patient);
    for (auto& c : message) c = c == '\r' ? '\n' : c;
    file += message;
  }
  dir.write("adt.hl7", file);
  const auto result = run_command({"/usr/bin/mllp_send", "--loose", "-f", dir.path() + "/adt.hl7", "-p",
                                   address.substr(address.rfind(':') + 1), "127.0.0.1"});
  INFO(result.output);
  REQUIRE(result.status == 0);

  // mllp_send prints each answer as received: the MLLP block, then a newline.
  std::vector<std::string> acks;
  const std::string& stream = result.output;
  for (std::size_t start = stream.find('\x0b'); start != std::string::npos; start = stream.find('\x0b', start + 1)) {
    const std::size_t end = stream.find('\x1c', start);
    REQUIRE(end != std::string::npos);
    acks.push_back(stream.substr(start + 1, end - start - 1));
  }
  REQUIRE(acks.size() == 3);
  CHECK(segment(acks[0], "MSA") == "MSA|AA|MSG00001");
  CHECK(segment(acks[1], "MSA") == "MSA|AE|MSG00002|患者 UNKNOWN 不存在");
  CHECK(segment(acks[1], "ERR").find("患者 UNKNOWN 不存在") != std::string::npos);
  CHECK(segment(acks[2], "MSA") == "MSA|AA|MSG00003");
  // Sender and receiver swapped, the trigger echoed.
  CHECK(segment(acks[0], "MSH").rfind("MSH|^~\\&|LIS|LAB01|HIS|HOSP01|", 0) == 0);
  CHECK(segment(acks[0], "MSH").find("|ACK^A01^ACK|") != std::string::npos);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("mllp: pipelined and split frames answered in order, AR for what cannot be read, ACKs never acknowledged",
          "[integration][tcp][mllp]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("mllp-frames-test"));
  dir.write("endpoints.yaml", "{}\n");
  dir.write("flows/adt.yaml", adt_flow(", max_frame: 4KiB", "\"hl7v2:charset=GBK\""));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("tcp 127.0.0.1:0");

  const int fd = connect_tcp(address);
  REQUIRE(fd >= 0);
  // Three messages in one write, the third rejected by the flow's check.
  REQUIRE(write_all(fd, mllp_frame(adt("P1", "1")) + mllp_frame(adt("P2", "2")) + mllp_frame(adt("P3", "REJECT"))));
  auto acks = read_frames(fd, mllp(), 3);
  REQUIRE(acks.size() == 3);
  CHECK(segment(acks[0], "MSA") == "MSA|AA|P1");
  CHECK(segment(acks[1], "MSA") == "MSA|AA|P2");
  CHECK(segment(acks[2], "MSA") == "MSA|AR|P3|PID-3 is not a hospital MRN");

  // One message split over many writes, byte by byte at its start.
  const std::string split = mllp_frame(adt("S1", "3"));
  for (std::size_t i = 0; i < 20; ++i) {
    REQUIRE(write_all(fd, split.substr(i, 1)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(write_all(fd, split.substr(20)));
  acks = read_frames(fd, mllp(), 1);
  REQUIRE(acks.size() == 1);
  CHECK(segment(acks[0], "MSA") == "MSA|AA|S1");

  // A failure text in Chinese comes back in the sender's charset (GBK, as configured).
  REQUIRE(write_all(fd, mllp_frame(*qiao::from_utf8(adt("G1", "UNKNOWN", "张^三"), "GBK"))));
  acks = read_frames(fd, mllp(), 1);
  REQUIRE(acks.size() == 1);
  CHECK(segment(acks[0], "MSA") == *qiao::from_utf8("MSA|AE|G1|患者 UNKNOWN 不存在", "GBK"));

  // A message that cannot be decoded (a bad escape in PID-5) gets AR naming the problem, and an
  // ACK sent to the gateway gets no ACK: the next answer is for the message after it.
  REQUIRE(write_all(fd, mllp_frame(adt("B1", "4", "Zhang\\Q\\San"))));
  acks = read_frames(fd, mllp(), 1);
  REQUIRE(acks.size() == 1);
  CHECK(segment(acks[0], "MSA").rfind("MSA|AR|B1|hl7v2: segment 3 (PID) field 5: invalid escape sequence at byte", 0) ==
        0);
  REQUIRE(write_all(fd, mllp_frame("MSH|^~\\&|LIS|LAB01|HIS|HOSP01|20261120083001||ACK^A01^ACK|A9|P|2.5\rMSA|AA|X1\r") +
                            mllp_frame(adt("P4", "5"))));
  acks = read_frames(fd, mllp(), 2, std::chrono::milliseconds(1500));
  REQUIRE(acks.size() == 1);
  CHECK(segment(acks[0], "MSA") == "MSA|AA|P4");

  // An empty frame is rejected (AR: resending it cannot help), not failed (AE), and the connection goes on.
  REQUIRE(write_all(fd, mllp_frame("")));
  acks = read_frames(fd, mllp(), 1);
  REQUIRE(acks.size() == 1);
  CHECK(segment(acks[0], "MSA") == "MSA|AR||empty frame: no HL7 message in it");
  REQUIRE(write_all(fd, mllp_frame(adt("P5", "6"))));
  acks = read_frames(fd, mllp(), 1);
  REQUIRE(acks.size() == 1);
  CHECK(segment(acks[0], "MSA") == "MSA|AA|P5");

  // A frame over max_frame closes the connection (and is accounted for).
  REQUIRE(write_all(fd, "\x0b" + std::string(5000, 'x')));
  CHECK(closed_by_peer(fd));
  ::close(fd);

  // A sender that vanishes mid-frame leaves the listener serving the next connection.
  const int half = connect_tcp(address);
  REQUIRE(half >= 0);
  REQUIRE(write_all(half, split.substr(0, split.size() / 2)));
  ::close(half);
  const int next = connect_tcp(address);
  REQUIRE(next >= 0);
  REQUIRE(write_all(next, mllp_frame(adt("N1", "6"))));
  acks = read_frames(next, mllp(), 1);
  REQUIRE(acks.size() == 1);
  CHECK(segment(acks[0], "MSA") == "MSA|AA|N1");
  ::close(next);

  const std::string log_path = dir.path() + "/var/log/business.log";
  CHECK(wait_until([&] { return read_file(log_path).find("outcome=too_large") != std::string::npos; },
                   std::chrono::seconds(3)));
  CHECK(read_file(log_path).find("outcome=check_failed") != std::string::npos);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("mllp with ack: flow sends the ACK the flow builds", "[integration][tcp][mllp]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("mllp-flow-ack-test"));
  dir.write("endpoints.yaml", "{}\n");
  dir.write("flows/adt.yaml",
            "id: adt-flow-ack\n"
            "source:\n"
            "  tcp: { listen: \"127.0.0.1:0\", framing: mllp, ack: flow }\n"
            "  decode: hl7v2\n"
            "reply:\n"
            "  lua: return hl7.ack(body, 'AA', 'bed ' .. hl7.get(body, 'PV1-3.2'))\n");
  GatewayProcess gateway(dir);
  const int fd = connect_tcp(gateway.listener("tcp 127.0.0.1:0"));
  REQUIRE(fd >= 0);
  REQUIRE(write_all(fd, mllp_frame(adt("F1", "7"))));
  const auto acks = read_frames(fd, mllp(), 1);
  REQUIRE(acks.size() == 1);
  CHECK(segment(acks[0], "MSA") == "MSA|AA|F1|bed 701");
  ::close(fd);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("length-prefixed tcp: the flow's reply framed, a keep-alive echoed, a failure closes the connection",
          "[integration][tcp]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("tcp-length-test"));
  dir.write("endpoints.yaml", "{}\n");
  dir.write("flows/balance.yaml",
            "id: balance\n"
            "source:\n"
            "  tcp: { listen: \"127.0.0.1:0\", framing: { length: 4, encoding: ascii }, keepalive_hex: \"\" }\n"
            "  decode: json\n"
            "steps:\n"
            "  - check: { required: [card] }\n"
            "reply:\n"
            "  lua: return { card = body.card, balance = 1250 }\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("tcp 127.0.0.1:0");
  tcp::Framing framing;
  framing.kind = tcp::FramingKind::length;
  framing.length_size = 4;
  framing.length_encoding = tcp::LengthEncoding::ascii;

  const int fd = connect_tcp(address);
  REQUIRE(fd >= 0);
  REQUIRE(write_all(fd, "0000" + std::string("0015{\"card\":\"6222\"}")));  // keep-alive, then a request
  auto replies = read_frames(fd, framing, 2);
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].empty());
  CHECK(replies[1] == "{\"balance\":1250,\"card\":\"6222\"}");  // a Lua table literal has no order: keys sorted
  // A request the flow refuses: this protocol has no error answer, so the connection closes.
  REQUIRE(write_all(fd, "0002{}"));
  CHECK(closed_by_peer(fd));
  ::close(fd);
  const std::string log_path = dir.path() + "/var/log/business.log";
  CHECK(wait_until(
      [&] {
        return read_file(log_path).find("flow=balance") != std::string::npos &&
               read_file(log_path).find("outcome=check_failed") != std::string::npos;
      },
      std::chrono::seconds(3)));
  CHECK(gateway.stop() == 0);
}

TEST_CASE("mllp over mutual TLS: a tcp endpoint with a client certificate reaches a TLS source",
          "[integration][tcp][mllp][tls]") {
  TempDir dir;
  for (const char* file : {"ca.crt", "server.crt", "server.key", "client.crt", "client.key"})
    dir.write(file, read_file(std::string(QIAO_SOURCE_DIR) + "/tests/data/tls/" + file));
  const int lis_port = free_port();
  dir.write("qiao.yaml", server_config("mllp-tls-test"));
  dir.write("endpoints.yaml",
            "lis:\n"
            "  tcp: { connect: \"127.0.0.1:" +
                std::to_string(lis_port) +
                "\", framing: mllp,\n"
                "         tls: { ca: ca.crt, server_name: localhost, cert: client.crt, key: client.key } }\n"
                "  codec: hl7v2\n"
                "  timeout: 5s\n");
  dir.write("flows/lis.yaml",
            "id: lis-tls\n"
            "source:\n"
            "  tcp: { listen: \"127.0.0.1:" +
                std::to_string(lis_port) +
                "\", framing: mllp, ack: flow,\n"
                "         tls: { cert: server.crt, key: server.key, client_ca: ca.crt } }\n"
                "  decode: hl7v2\n"
                "reply:\n"
                "  lua: return hl7.ack(body, 'AA', 'over TLS from ' .. msg.source.remote:match('^[^:]+'))\n");
  dir.write(
      "flows/front.yaml",
      "id: front\n"
      "source:\n"
      "  http: { listen: \"127.0.0.1:0\", path: /adt, methods: [POST] }\n"
      "steps:\n"
      "  - call: { endpoint: lis, into: lis, lua: 'return qiao.codec.decode(\"hl7v2:line_endings=any\", body)' }\n"
      "reply:\n"
      "  lua: return { code = hl7.get(vars.lis, 'MSA-1'), text = hl7.get(vars.lis, 'MSA-3') }\n");
  GatewayProcess gateway(dir);
  const HttpResult r = http_request(gateway.listener("http 127.0.0.1:0"), "POST", "/adt", adt("T1", "8"));
  INFO(r.body << r.error);
  CHECK(r.status == 200);
  CHECK(r.body == "{\"code\":\"AA\",\"text\":\"over TLS from 127.0.0.1\"}");

  // A sender without TLS gets no answer: the handshake fails and the connection closes.
  const int plain = connect_tcp("127.0.0.1:" + std::to_string(lis_port));
  REQUIRE(plain >= 0);
  REQUIRE(write_all(plain, mllp_frame(adt("T2", "9"))));
  CHECK(read_frames(plain, mllp(), 1, std::chrono::seconds(3)).empty());
  ::close(plain);
  CHECK(gateway.stop() == 0);
}

TEST_CASE(
    "iso8583 over tcp: a failing flow answers the response MTI with field 39 (30, 91, 96) and keeps the "
    "connection, a broken request gets 30, bytes without an MTI close it",
    "[integration][tcp][iso8583]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("tcp-iso8583-test"));
  dir.write("config/iso8583/iso87ascii.yaml",
            read_file(std::string(QIAO_SOURCE_DIR) + "/config/iso8583/iso87ascii.yaml"));
  // Nothing listens there: calling it is `unavailable`.
  dir.write("endpoints.yaml",
            "ledger: { http: { url: \"http://127.0.0.1:" + std::to_string(free_port()) + "/\" }, timeout: 2s }\n");
  dir.write("flows/pos.yaml",
            "id: pos\n"
            "source:\n"
            "  tcp: { listen: \"127.0.0.1:0\", framing: { length: 4, encoding: ascii } }\n"
            "  decode: iso8583:iso87ascii\n"
            "steps:\n"
            "  - check: { required: [\"4\"] }\n"
            "  - route:\n"
            "      - when: body[41] == 'LEDGER01'\n"
            "        steps:\n"
            "          - call: { endpoint: ledger }\n"
            "      - when: body[41] == 'BROKEN01'\n"
            "        steps:\n"
            "          - lua: 'error(\"ledger script broke\", 0)'\n"
            "reply:\n"
            "  lua: |\n"
            "    local reply = iso8583.response('iso8583:iso87ascii', body)\n"
            "    reply[39] = '00'\n"
            "    return reply\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("tcp 127.0.0.1:0");
  REQUIRE(!address.empty());
  tcp::Framing framing;
  framing.kind = tcp::FramingKind::length;
  framing.length_size = 4;
  framing.length_encoding = tcp::LengthEncoding::ascii;
  const auto framed = [](const std::string& payload) {
    const std::string length = std::to_string(payload.size());
    return std::string(4 - length.size(), '0') + length + payload;
  };
  // 0200 with fields 3, 4, 11 and 41 (bitmap 30 20 00 00 00 80 00 00), all ASCII.
  const auto sale = [](const std::string& terminal) {
    return "0200"
           "3020000000800000"
           "000000"
           "000000001250"
           "000123" +
           terminal;
  };
  // The answer: 0210, the echoed 3, 4, 11, 41 and field 39 (bitmap bit 39: 02 in the fifth byte).
  const auto answer = [](const std::string& code, const std::string& terminal) {
    return "0210"
           "3020000002800000"
           "000000"
           "000000001250"
           "000123" +
           code + terminal;
  };

  const int fd = connect_tcp(address);
  REQUIRE(fd >= 0);
  REQUIRE(write_all(fd, framed(sale("KIOSK001")) + framed(sale("LEDGER01")) + framed(sale("BROKEN01"))));
  auto replies = read_frames(fd, framing, 3);
  REQUIRE(replies.size() == 3);
  CHECK(replies[0] == answer("00", "KIOSK001"));
  CHECK(replies[1] == answer("91", "LEDGER01"));  // the system behind did not answer
  CHECK(replies[2] == answer("96", "BROKEN01"));  // the flow itself failed
  // Without field 4 (bitmap without bit 4) the check refuses it: 30, format error.
  REQUIRE(write_all(fd, framed("0200"
                               "2020000000800000"
                               "000000"
                               "000124"
                               "KIOSK001")));
  replies = read_frames(fd, framing, 1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0] ==
        "0210"
        "2020000002800000"
        "000000"
        "000124"
        "30"
        "KIOSK001");
  // A request the codec refuses (a letter in the amount) is answered 30 with what could be read.
  REQUIRE(write_all(fd, framed("0200"
                               "3020000000800000"
                               "000000"
                               "00000000125A"
                               "000125"
                               "KIOSK001")));
  replies = read_frames(fd, framing, 1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0] ==
        "0210"
        "2000000002000000"
        "000000"
        "30");
  // Bytes without an MTI have nothing to answer to: the connection closes.
  REQUIRE(write_all(fd, framed("02X0")));
  CHECK(closed_by_peer(fd));
  ::close(fd);
  const std::string log_path = dir.path() + "/var/log/business.log";
  CHECK(wait_until(
      [&] {
        return read_file(log_path).find("outcome=unavailable") != std::string::npos &&
               read_file(log_path).find("outcome=check_failed") != std::string::npos &&
               read_file(log_path).find("outcome=bad_input") != std::string::npos;
      },
      std::chrono::seconds(3)));
  CHECK(gateway.stop() == 0);
}
