// The tcp endpoint's pure parts: its configuration (every mistake reported with file:line:col),
// correlation keys of ISO 8583 and HL7 messages, the HL7 ACK check, the backoff schedule, and
// the command line's framing syntax.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "adapters/tcp/client/correlation.hpp"
#include "adapters/tcp/client/framing_spec.hpp"
#include "adapters/tcp/client/settings.hpp"
#include "app/plugins.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"
#include "core/codec_name.hpp"
#include "core/config/config_node.hpp"

using qiao::ErrorKind;
using qiao::Value;
namespace tcp = qiao::tcp;

namespace {

// Parses an endpoint block (the value of `tcp:`) the way a generation does; the errors, or
// none and the description of the spec.
struct Parsed {
  std::vector<std::string> errors;
  std::string description;
};

Parsed parse_endpoint(const std::string& yaml, const char* codec = "json") {
  auto node = qiao::ConfigNode::parse(yaml, "endpoints.yaml");
  REQUIRE(node);
  const qiao::EndpointKind* kind = qiao::all_plugins().endpoints.find("tcp");
  REQUIRE(kind);
  qiao::EndpointCommon common;
  common.name = "bank";
  common.codec = *qiao::build_codec(qiao::all_plugins().codecs, codec, "");
  qiao::Diagnostics diag;
  auto spec = kind->parse(*node, common, diag);
  Parsed out{diag.errors(), spec ? spec->describe() : ""};
  CHECK((spec != nullptr) == diag.ok());
  return out;
}

std::string only_error(const std::string& yaml, const char* codec = "json") {
  Parsed parsed = parse_endpoint(yaml, codec);
  REQUIRE(parsed.errors.size() == 1);
  return parsed.errors.front();
}

Value hl7(const std::string& er7) {
  auto value = qiao::hl7::decode(qiao::make_buffer(er7));
  REQUIRE(value);
  return *value;
}

}  // namespace

TEST_CASE("tcp endpoint config: valid blocks and what they describe", "[tcp][endpoint][config]") {
  Parsed bank = parse_endpoint(
      "{ connect: \"127.0.0.1:5000\", framing: { length: 2, encoding: binary }, mode: long, correlate: [11, 41] }");
  CHECK(bank.errors.empty());
  CHECK(bank.description == "tcp 127.0.0.1:5000 length 2 binary long multiplexed by fields 11, 41");
  Parsed lis = parse_endpoint(
      "{ connect: \"[::1]:2576\", framing: mllp, correlate: hl7, heartbeat: { interval: 30s }, "
      "idle_timeout: 5m, reconnect: { initial: 1s, max: 1m } }",
      "hl7v2");
  CHECK(lis.errors.empty());
  CHECK(lis.description == "tcp [::1]:2576 mllp long multiplexed by hl7 MSH-10/MSA-2");
  Parsed once = parse_endpoint("{ connect: \"his.local:9000\", framing: close, mode: short }");
  CHECK(once.errors.empty());
  CHECK(once.description == "tcp his.local:9000 close short");
}

TEST_CASE("tcp endpoint config: every mistake is an error at its place", "[tcp][endpoint][config]") {
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, retries: 3 }") ==
        "endpoints.yaml:1:45: endpoint 'bank': tcp: unknown key 'retries' (known: connect, framing, max_frame, mode, "
        "correlate, heartbeat, idle_timeout, reconnect, tls, check_ack)");
  CHECK(only_error("{ framing: mllp }") == "endpoints.yaml:1:1: endpoint 'bank': tcp: missing required key 'connect'");
  CHECK(only_error("{ connect: \"127.0.0.1\", framing: mllp }") ==
        "endpoints.yaml:1:12: endpoint 'bank': tcp: connect: expected host:port, found '127.0.0.1'");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: stx }") ==
        "endpoints.yaml:1:39: endpoint 'bank': tcp: framing: expected mllp, close, newline, crlf, etx or a mapping "
        "({length: 2, encoding: binary}, {delimiter: \"\\n\"}, {fixed: 512}), found 'stx'");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, mode: medium }") ==
        "endpoints.yaml:1:51: endpoint 'bank': tcp: mode must be short or long, not 'medium'");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: close }") ==
        "endpoints.yaml:1:39: endpoint 'bank': tcp: framing close ends each reply with the connection; it needs mode: "
        "short");
  CHECK(
      only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, mode: short, correlate: hl7 }") ==
      "endpoints.yaml:1:69: endpoint 'bank': tcp: correlate shares long connections among calls; it needs mode: long");
  // MSH-10 and MSA-2, and ACKs, are what the hl7v2 codec's protocol gives; JSON has neither.
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, correlate: hl7 }") ==
        "endpoints.yaml:1:56: correlate: hl7 matches replies by the ids the codec's protocol names (hl7v2: MSH-10 and "
        "MSA-2); this endpoint's codec has none: list the fields replies echo");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, check_ack: true }") ==
        "endpoints.yaml:1:56: endpoint 'bank': tcp: check_ack needs a codec whose replies say whether the peer "
        "accepted (hl7v2's ACKs)");
  CHECK(parse_endpoint("{ connect: \"127.0.0.1:5000\", framing: mllp, check_ack: true }", "hl7v2").errors.empty());
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, correlate: [] }") ==
        "endpoints.yaml:1:56: correlate: give the fields replies echo (e.g. [11, 41]) or hl7");
  CHECK(
      only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, heartbeat: { interval: 10s, payload_hex: \"0\" } }") ==
      "endpoints.yaml:1:86: endpoint 'bank': tcp: heartbeat: payload_hex: an odd number of hex digits (1)");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, heartbeat: { payload_hex: \"00\" } }") ==
        "endpoints.yaml:1:56: endpoint 'bank': tcp: heartbeat: missing required key 'interval'");
  CHECK(only_error(
            "{ connect: \"127.0.0.1:5000\", framing: {fixed: 4}, heartbeat: { interval: 1s, payload_hex: \"00\" } }") ==
        "endpoints.yaml:1:91: endpoint 'bank': tcp: heartbeat: framing: a payload of 1 bytes for fixed frames of 4");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, reconnect: { initial: 5s, max: 1s } }") ==
        "endpoints.yaml:1:56: endpoint 'bank': tcp: reconnect: initial must be more than 0 and max at least initial");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, mode: short, idle_timeout: 10s }") ==
        "endpoints.yaml:1:72: endpoint 'bank': tcp: idle_timeout closes long connections; it needs mode: long");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, tls: { cert: a.pem } }") ==
        "endpoints.yaml:1:50: endpoint 'bank': tcp: tls: cert and key go together (mutual TLS needs both)");
  CHECK(only_error("{ connect: \"127.0.0.1:5000\", framing: mllp, tls: { ca: /no/such/ca.pem } }")
            .find("endpoints.yaml:1:56: endpoint 'bank': tcp: tls: ca: cannot load CA file '/no/such/ca.pem'") == 0);
  // Several mistakes are all reported.
  CHECK(parse_endpoint("{ connect: x, framing: mllp, mode: long, max_frame: 0, check_ack: perhaps }").errors.size() ==
        3);
}

TEST_CASE("tcp endpoint: correlation keys of ISO 8583 requests and replies", "[tcp][endpoint][correlation]") {
  tcp::Correlation fields{tcp::Correlation::Kind::fields, {"11", "41"}};
  const Value request = qiao::Object{{"mti", "0200"}, {"4", "000000000100"}, {"11", "000123"}, {"41", "T0000001"}};
  const Value reply = qiao::Object{{"mti", "0210"}, {"11", "000123"}, {"39", "00"}, {"41", "T0000001"}};
  const Value other = qiao::Object{{"mti", "0210"}, {"11", "000124"}, {"41", "T0000001"}};
  auto request_key = tcp::request_key(fields, request);
  REQUIRE(request_key);
  CHECK(*request_key == *tcp::reply_key(fields, reply));
  CHECK(*request_key != *tcp::reply_key(fields, other));
  CHECK(tcp::show_key(fields, *request_key) == "11=000123 41=T0000001");
  // A number and the same digits as a string are the same key.
  const Value numeric = qiao::Object{{"11", 123}, {"41", "T1"}};
  const Value text = qiao::Object{{"11", "123"}, {"41", "T1"}};
  CHECK(*tcp::request_key(fields, numeric) == *tcp::reply_key(fields, text));
  // Field values never run into each other: ("1", "23") is not ("12", "3").
  CHECK(*tcp::request_key(fields, Value(qiao::Object{{"11", "1"}, {"41", "23"}})) !=
        *tcp::request_key(fields, Value(qiao::Object{{"11", "12"}, {"41", "3"}})));

  auto missing = tcp::request_key(fields, Value(qiao::Object{{"11", "000123"}}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::bad_input);
  CHECK(missing.error().message == "the request has no correlation field '41'");
  auto nested = tcp::reply_key(fields, Value(qiao::Object{{"11", qiao::Object{{"a", 1}}}, {"41", "T1"}}));
  REQUIRE_FALSE(nested);
  CHECK(nested.error().message == "the reply correlation field '11' is object, not a string or a number");

  tcp::Correlation dotted{tcp::Correlation::Kind::fields, {"header.id"}};
  CHECK(*tcp::request_key(dotted, Value(qiao::Object{{"header", qiao::Object{{"id", "R7"}}}})) == "R7");
}

TEST_CASE("tcp endpoint: correlation of HL7 messages by MSH-10 and MSA-2", "[tcp][endpoint][correlation]") {
  const qiao::hl7::Hl7Codec codec({});
  tcp::Correlation hl7_correlation{tcp::Correlation::Kind::protocol, {}, codec.answers()};
  const Value message = hl7("MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101||ADT^A01|CTRL42|P|2.5\rPID|1||P1\r");
  const Value ack = hl7("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260101||ACK^A01^ACK|A9|P|2.5\rMSA|AA|CTRL42\r");
  CHECK(*tcp::request_key(hl7_correlation, message) == "CTRL42");
  CHECK(*tcp::reply_key(hl7_correlation, ack) == "CTRL42");
  auto not_an_ack = tcp::reply_key(hl7_correlation, message);
  REQUIRE_FALSE(not_an_ack);
  CHECK(not_an_ack.error().message == "the reply has no MSA-2");
}

TEST_CASE("tcp endpoint: reconnect backoff doubles up to its maximum", "[tcp][endpoint][reconnect]") {
  tcp::Backoff backoff{std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
  std::vector<long> waits;
  for (unsigned failures = 1; failures <= 7; ++failures) waits.push_back(backoff.after(failures).count());
  CHECK(waits == std::vector<long>{100, 200, 400, 800, 1000, 1000, 1000});
  CHECK(backoff.after(1000).count() == 1000);
}

TEST_CASE("qiao send --framing syntax", "[tcp][framing][cli]") {
  auto mllp = tcp::parse_framing_spec("mllp");
  REQUIRE(mllp);
  CHECK(mllp->describe() == "mllp");
  CHECK(tcp::parse_framing_spec("close")->describe() == "close");
  CHECK(tcp::parse_framing_spec("newline")->describe() == "delimiter 0x0A");
  CHECK(tcp::parse_framing_spec("crlf")->describe() == "delimiter 0x0D 0x0A");
  CHECK(tcp::parse_framing_spec("etx")->describe() == "delimiter 0x03");
  CHECK(tcp::parse_framing_spec("length:2")->describe() == "length 2 binary");
  CHECK(tcp::parse_framing_spec("length:4:ascii")->describe() == "length 4 ascii");
  CHECK(tcp::parse_framing_spec("length:2:bcd")->describe() == "length 2 bcd");
  CHECK(tcp::parse_framing_spec("length:4:binary:self")->describe() == "length 4 binary including itself");
  CHECK(tcp::parse_framing_spec("length:2:self")->describe() == "length 2 binary including itself");
  CHECK(tcp::parse_framing_spec("delimiter:0d0a")->describe() == "delimiter 0x0D 0x0A");
  CHECK(tcp::parse_framing_spec("fixed:512")->describe() == "fixed 512");

  auto error = [](const char* spec) {
    auto framing = tcp::parse_framing_spec(spec);
    REQUIRE_FALSE(framing);
    CHECK(framing.error().kind == ErrorKind::config);
    return framing.error().message;
  };
  CHECK(error("length:3") == "framing 'length:3': a binary length prefix has 1, 2 or 4 bytes");
  CHECK(error("length:two") == "framing 'length:two': 'two' is not a number of bytes or digits");
  CHECK(error("length:4:ebcdic") ==
        "framing 'length:4:ebcdic': the length encoding is binary, ascii or bcd, not 'ebcdic'");
  CHECK(error("length:4:ascii:self:x") == "framing 'length:4:ascii:self:x': unexpected 'x'");
  CHECK(error("delimiter:zz") == "framing 'delimiter:zz': the delimiter is given as hex bytes, e.g. delimiter:03");
  CHECK(error("fixed:0") == "framing 'fixed:0': fixed needs a size of at least 1 byte");
  CHECK(error("stx").find("framing 'stx': expected mllp, close") == 0);
}
