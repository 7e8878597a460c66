#pragma once
// Sample messages under tests/data/hl7/, shared by the hl7v2 codec, path and ACK tests.

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "codecs/hl7v2/hl7_codec.hpp"

namespace qiao::hl7::testing {

inline std::string read_data(const std::string& name) {
  std::ifstream in(std::string(QIAO_SOURCE_DIR) + "/tests/data/hl7/" + name, std::ios::binary);
  if (!in) FAIL("missing test data " << name);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline Value decode_ok(const std::string& bytes) {
  auto v = decode(make_buffer(bytes));
  if (!v) FAIL("decode failed: " << v.error().message);
  return std::move(v).value();
}

}  // namespace qiao::hl7::testing
