#pragma once
// Shared by the iso8583 tests: the shipped dialects, hex ⇄ bytes, and decode/encode that fail the
// test with the codec's message.

#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/wire.hpp"
#include "core/text/hex.hpp"

namespace iso8583_test {

using namespace qiao;

inline const iso8583::Spec& dialect(const std::string& name) {
  static std::map<std::string, iso8583::Spec> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto spec = iso8583::load_argument(name, QIAO_SOURCE_DIR);
    INFO((spec ? "" : spec.error().message));
    REQUIRE(spec);
    it = cache.emplace(name, std::move(*spec)).first;
  }
  return it->second;
}

// Hex with spaces and line breaks allowed, for readable golden messages.
inline std::string bytes(std::string_view hex) {
  std::string compact;
  for (char c : hex)
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  auto out = from_hex(compact, "test hex");
  REQUIRE(out);
  return *out;
}

inline std::string hex(std::string_view raw) { return to_hex(raw); }

inline Value decode_ok(const iso8583::Spec& spec, const std::string& raw) {
  auto v = iso8583::decode(make_buffer(raw), spec);
  INFO((v ? "" : v.error().message));
  REQUIRE(v);
  return *v;
}

inline std::string encode_ok(const iso8583::Spec& spec, const Value& value) {
  auto s = iso8583::encode(value, spec);
  INFO((s ? "" : s.error().message));
  REQUIRE(s);
  return *s;
}

// The decode error for `raw`, as "kind: message".
inline std::string decode_error(const iso8583::Spec& spec, const std::string& raw) {
  auto v = iso8583::decode(make_buffer(raw), spec);
  if (v) return "decoded";
  return std::string(error_kind_name(v.error().kind)) + ": " + v.error().message;
}

inline std::string encode_error(const iso8583::Spec& spec, const Value& value) {
  auto s = iso8583::encode(value, spec);
  if (s) return "encoded " + hex(*s);
  return std::string(error_kind_name(s.error().kind)) + ": " + s.error().message;
}

// A golden message from tests/data/iso8583/: hex with spaces, one part a line, '#' comments.
inline std::string read_hex(const std::string& name) {
  std::ifstream in(std::string(QIAO_SOURCE_DIR) + "/tests/data/iso8583/" + name);
  REQUIRE(in);
  std::string hex_text;
  for (std::string line; std::getline(in, line);) hex_text += line.substr(0, line.find('#'));
  return bytes(hex_text);
}

}  // namespace iso8583_test
