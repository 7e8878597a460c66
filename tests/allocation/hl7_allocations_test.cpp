// The MLLP hot path's allocation budget: decoding an HL7 message allocates per segment and per
// composite field (each is a container), never per simple field or leaf (short leaves sit in the
// string's own storage, long ones borrow from the receive buffer); the AA a source sends on the
// flow's behalf costs one allocation, its bytes.
#include <catch2/catch.hpp>
#include <string>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "tests/allocation/counting_allocator.hpp"

namespace hl7 = qiao::hl7;
using qiao::testing::AllocationCounter;

namespace {

const std::string header = "MSH|^~\\&|HIS|HOSP01|LAB|LAB01|20261122083000||ADT^A04^ADT_A01|ADT0002|P|2.5\r";

// A Z segment of `fields` fields, each `make(n)`.
template <class Make>
std::string message_with(std::size_t fields, Make make) {
  std::string segment = "ZZZ";
  for (std::size_t n = 0; n < fields; ++n) segment += "|" + make(n);
  return header + segment + "\r";
}

std::uint64_t decode_allocations(const std::string& bytes) {
  const qiao::Buffer buffer = qiao::make_buffer(bytes);
  const hl7::Options options;
  // The first decode on a thread may set up thread-local state (iconv descriptors, caches).
  REQUIRE(hl7::decode(buffer, options));
  AllocationCounter counter;
  auto decoded = hl7::decode(buffer, options);
  const std::uint64_t count = counter.count();
  REQUIRE(decoded);
  return count;
}

std::string simple_field(std::size_t n) {
  // Short leaves and leaves long enough to borrow, alternately.
  return n % 2 == 0 ? "v" + std::to_string(n) : "a value long enough to borrow " + std::to_string(n);
}

}  // namespace

TEST_CASE("decoding HL7 allocates nothing per simple field or leaf", "[allocation][hl7v2]") {
  const std::uint64_t few = decode_allocations(message_with(4, simple_field));
  const std::uint64_t many = decode_allocations(message_with(400, simple_field));
  INFO("4 fields: " << few << " allocations, 400 fields: " << many);
  CHECK(many == few);
}

TEST_CASE("a composite HL7 field costs one allocation whatever its components", "[allocation][hl7v2]") {
  const auto composite = [](std::size_t components) {
    return [components](std::size_t n) {
      std::string field = "c" + std::to_string(n);
      for (std::size_t c = 1; c < components; ++c) field += "^part " + std::to_string(c);
      return field;
    };
  };
  const std::uint64_t two_parts = decode_allocations(message_with(8, composite(2)));
  const std::uint64_t nine_parts = decode_allocations(message_with(8, composite(9)));
  const std::uint64_t sixteen_fields = decode_allocations(message_with(16, composite(2)));
  INFO("8 fields of 2 parts: " << two_parts << ", of 9 parts: " << nine_parts << ", 16 fields: " << sixteen_fields);
  CHECK(nine_parts == two_parts);
  CHECK(sixteen_fields - two_parts == 8);
}

TEST_CASE("the AA of an accepted HL7 message costs one allocation", "[allocation][hl7v2]") {
  const hl7::Hl7Codec codec{hl7::Options{}};
  const qiao::Buffer raw = qiao::make_buffer(header + "PID|1||100235^^^HOSP01^MR||LI^SI||19851112|F\r");
  REQUIRE(codec.answers()->answer(raw, nullptr));  // thread-local set-up (the time stamp) done
  AllocationCounter counter;
  auto ack = codec.answers()->answer(raw, nullptr);
  const std::uint64_t count = counter.count();
  REQUIRE(ack);
  CHECK(ack->rfind("MSH|^~\\&|LAB|LAB01|HIS|HOSP01|", 0) == 0);
  CHECK(count == 1);
}
