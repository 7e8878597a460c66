// TCP framing: every kind split from awkward reads, refused when too large or malformed, and
// written back the way it is read.
#include "adapters/tcp/framing/framing.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "adapters/tcp/framing/frame_reader.hpp"

using qiao::ErrorKind;
namespace tcp = qiao::tcp;

namespace {

tcp::Framing parse(const std::string& yaml, std::size_t max_frame = 1024) {
  auto node = qiao::ConfigNode::parse(yaml, "test.yaml");
  REQUIRE(node);
  qiao::Diagnostics diag;
  auto framing = tcp::parse_framing(*node, max_frame, diag);
  if (!framing) FAIL(diag.text());
  return *framing;
}

std::string parse_error(const std::string& yaml) {
  auto node = qiao::ConfigNode::parse(yaml, "test.yaml");
  REQUIRE(node);
  qiao::Diagnostics diag;
  auto framing = tcp::parse_framing(*node, 1024, diag);
  CHECK_FALSE(framing);
  if (diag.errors().empty()) return "";
  const std::string& first = diag.errors().front();  // "test.yaml:1:1: framing: …"
  return first.substr(first.find("framing:"));
}

// Feeds `stream` in pieces of `piece` bytes and collects every payload.
std::vector<std::string> split(const tcp::Framing& framing, const std::string& stream, std::size_t piece) {
  tcp::FrameReader reader(framing);
  std::vector<std::string> payloads;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    reader.feed(std::string_view(stream).substr(at, piece));
    for (;;) {
      auto next = reader.next();
      if (!next) FAIL("next: " << next.error().message);
      if (!*next) break;
      payloads.push_back(**next);
    }
  }
  auto last = reader.finish();
  if (!last) FAIL("finish: " << last.error().message);
  if (*last) payloads.push_back(**last);
  return payloads;
}

std::string framed(const tcp::Framing& framing, std::string_view payload) {
  auto bytes = tcp::frame(framing, payload);
  if (!bytes) FAIL("frame: " << bytes.error().message);
  return *bytes;
}

qiao::Error stream_error(const tcp::Framing& framing, const std::string& stream) {
  tcp::FrameReader reader(framing);
  reader.feed(stream);
  for (;;) {
    auto next = reader.next();
    if (!next) return next.error();
    if (!*next) break;
  }
  auto last = reader.finish();
  if (!last) return last.error();
  FAIL("no error for the stream");
  return {};
}

}  // namespace

TEST_CASE("framing: every kind splits pipelined and fragmented streams alike", "[tcp][framing]") {
  const std::vector<std::string> messages = {"MSH|^~\\&|A\rPID|1\r", "", "x", std::string(300, 'z'), "MSH|^~\\&|B\r"};
  for (const char* yaml :
       {"mllp", "{length: 2}", "{length: 4, encoding: binary}", "{length: 1}", "{length: 4, encoding: ascii}",
        "{length: 2, encoding: bcd}", "{length: 2, includes_self: true}", "{delimiter: \"\\x03\"}",
        "{length: 6, encoding: ascii, includes_self: true, adjust: 0}"}) {
    INFO(yaml);
    const tcp::Framing framing = parse(yaml);
    std::string stream;
    std::vector<std::string> expected;
    for (const auto& m : messages) {
      if (framing.length_size == 1 && framing.kind == tcp::FramingKind::length && m.size() > 255) continue;
      stream += framed(framing, m);
      expected.push_back(m);
    }
    for (std::size_t piece :
         {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{64}, stream.size()}) {
      INFO("reads of " << piece << " bytes");
      CHECK(split(framing, stream, piece) == expected);
    }
  }
}

TEST_CASE("framing: the bytes on the wire", "[tcp][framing]") {
  CHECK(framed(parse("mllp"), "MSH|x\r") == "\x0bMSH|x\r\x1c\r");
  CHECK(framed(parse("{length: 2}"), "abc") == std::string("\x00\x03"
                                                           "abc",
                                                           5));
  CHECK(framed(parse("{length: 4, encoding: ascii}"), "abc") == "0003abc");
  CHECK(framed(parse("{length: 2, encoding: bcd}"), std::string(123, 'a')) == "\x01\x23" + std::string(123, 'a'));
  CHECK(framed(parse("{length: 2, includes_self: true}"), "abc") == std::string("\x00\x05"
                                                                                "abc",
                                                                                5));
  // A 6-byte header the number leaves out: it counts only what follows the header.
  CHECK(framed(parse("{length: 4, encoding: ascii, adjust: 6}"), "HEADERbody") == "0004HEADERbody");
  CHECK(split(parse("{length: 4, encoding: ascii, adjust: 6}"), "0004HEADERbody0000HEADER", 5) ==
        std::vector<std::string>{"HEADERbody", "HEADER"});
  CHECK(framed(parse("newline"), "a") == "a\n");
  CHECK(framed(parse("crlf"), "a") == "a\r\n");
  CHECK(framed(parse("etx"), "a") == "a\x03");
  CHECK(framed(parse("{fixed: 4}"), "abcd") == "abcd");
  CHECK(framed(parse("close"), "abc") == "abc");
}

TEST_CASE("framing: fixed size, delimiters across reads, read until close", "[tcp][framing]") {
  CHECK(split(parse("{fixed: 3}"), "abcdefghi", 2) == std::vector<std::string>{"abc", "def", "ghi"});
  CHECK(split(parse("crlf"), "one\r\ntwo\r\n\r\nthree\r\n", 1) == std::vector<std::string>{"one", "two", "", "three"});
  CHECK(split(parse("{delimiter: \"END\"}"), "aENbENDcEND", 1) == std::vector<std::string>{"aENb", "c"});
  CHECK(split(parse("close"), "everything\nuntil close", 4) == std::vector<std::string>{"everything\nuntil close"});
  // Line breaks between MLLP blocks are tolerated.
  CHECK(split(parse("mllp"),
              "\x0b"
              "a\x1c\r\r\n\x0b"
              "b\x1c\r\n",
              3) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("framing: malformed and oversized streams", "[tcp][framing]") {
  const auto mllp = parse("mllp", 10);
  auto e = stream_error(mllp, "MSH|...");
  CHECK(e.kind == ErrorKind::bad_input);
  CHECK(e.message == "framing: expected an MLLP block (0x0B), found 0x4D");
  e = stream_error(mllp,
                   "\x0b"
                   "0123456789AB");
  CHECK(e.kind == ErrorKind::too_large);
  CHECK(e.message == "framing: a frame of more than 10 bytes exceeds max_frame 10");
  CHECK(stream_error(mllp,
                     "\x0b"
                     "abc")
            .message == "framing: the peer closed the connection in the middle of a frame (4 bytes received of it)");

  const auto length = parse("{length: 4, encoding: ascii}", 10);
  CHECK(stream_error(length, "0011").message ==
        "framing: a frame of 11 bytes exceeds max_frame 10");  // refused before the body arrives
  CHECK(stream_error(length, "00x1abc").message ==
        "framing: the length prefix holds a byte that is not a digit (0x78)");
  CHECK(stream_error(parse("{length: 1, encoding: bcd}"), "\x1a").message ==
        "framing: the BCD length prefix holds a nibble above 9");
  CHECK(stream_error(parse("{length: 2, includes_self: true}"), std::string("\x00\x01", 2)).message ==
        "framing: the length prefix says 1, less than it must count");
  CHECK(stream_error(length, "0005ab").message ==
        "framing: the peer closed the connection in the middle of a frame (6 bytes received of it)");
  CHECK(stream_error(parse("newline", 10), "01234567890").message ==
        "framing: a frame of more than 10 bytes exceeds max_frame 10");
  CHECK(stream_error(parse("close", 10), "01234567890").kind == ErrorKind::too_large);
}

TEST_CASE("framing: a payload of exactly max_frame passes, however the end marker is split", "[tcp][framing]") {
  // Found by the fuzzer: the first byte of a two-byte end marker was counted as payload.
  CHECK(split(parse("crlf", 3), "abc\r\ndef\r\n", 1) == std::vector<std::string>{"abc", "def"});
  CHECK(split(parse("mllp", 3),
              "\x0b"
              "abc\x1c\r",
              1) == std::vector<std::string>{"abc"});
  CHECK(split(parse("{delimiter: \"END\"}", 3), "abcEND", 1) == std::vector<std::string>{"abc"});
}

TEST_CASE("framing: payloads that cannot be framed", "[tcp][framing]") {
  const auto refused = [](const tcp::Framing& f, std::string_view payload) {
    auto bytes = tcp::frame(f, payload);
    REQUIRE_FALSE(bytes);
    CHECK(bytes.error().kind == ErrorKind::flow);
    return bytes.error().message;
  };
  CHECK(refused(parse("{length: 1}", 1000), std::string(256, 'a')) ==
        "framing: a payload of 256 bytes does not fit a length 1 binary prefix");
  CHECK(refused(parse("{length: 2, encoding: ascii}", 1000), std::string(100, 'a')) ==
        "framing: a payload of 100 bytes does not fit a length 2 ascii prefix");
  CHECK(refused(parse("mllp"),
                "a\x1c"
                "b") == "framing: the payload holds 0x1C, which ends an MLLP block");
  CHECK(refused(parse("newline"), "a\nb") == "framing: the payload holds the delimiter 0x0A");
  CHECK(refused(parse("{fixed: 4}"), "abc") == "framing: a payload of 3 bytes for fixed frames of 4");
  CHECK(refused(parse("mllp", 2), "abc") == "framing: a payload of 3 bytes exceeds max_frame 2");
}

TEST_CASE("framing: configuration errors", "[tcp][framing]") {
  CHECK(parse_error("stx") ==
        "framing: expected mllp, close, newline, crlf, etx or a mapping ({length: 2, encoding: binary}, "
        "{delimiter: \"\\n\"}, {fixed: 512}), found 'stx'");
  CHECK(parse_error("{length: 3}") == "framing: a binary length prefix has 1, 2 or 4 bytes");
  CHECK(parse_error("{length: 2, encoding: ebcdic}") == "framing: encoding must be binary, ascii or bcd, not 'ebcdic'");
  CHECK(parse_error("{length: 2, fixed: 3}") == "framing: give exactly one of length, delimiter, fixed, mllp, close");
  CHECK(parse_error("{delimiter: \"\"}") == "framing: the delimiter must not be empty");
  CHECK(parse_error("[1, 2]") == "framing: expected a name or a mapping, found a sequence");
  CHECK(parse("{length: 2, encoding: bcd}").describe() == "length 2 bcd");
  CHECK(parse("{delimiter: \"\\r\\n\"}").describe() == "delimiter 0x0D 0x0A");
}
