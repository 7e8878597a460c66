// The bytes a queued delivery keeps in the store: whatever encode_request writes must come back
// as the same request, types and key order included, and anything else (a damaged row, a row of
// another format) must be an error, never a crash or an allocation the row cannot justify.

#include "core/delivery/request_bytes.hpp"

#include <sys/resource.h>

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

using namespace qiao;

namespace {

CallRequest sample_request() {
  CallRequest r;
  r.operation = "RegisterPatient";
  r.headers.push_back("X-Sign", Value("abc"));
  r.headers.push_back("Content-Type", Value("application/hl7-v2"));
  r.headers.push_back("A-Last", Value("z"));
  Object patient;
  patient.push_back("zeta", Value(1));
  patient.push_back("alpha", Value(Decimal{"12.50"}));
  patient.push_back("mid", Value(Array{Value(true), Value(nullptr), Value("x")}));
  Object body;
  body.push_back("patient", Value(std::move(patient)));
  body.push_back("mac", Value(Bytes{Text(std::string("\x00\x01\xff\x00", 4))}));
  body.push_back("count", Value(std::int64_t{-7}));
  body.push_back("ratio", Value(0.25));
  r.body = Value(std::move(body));
  return r;
}

CallRequest round_trip(const CallRequest& request) {
  auto decoded = decode_request(encode_request(request));
  REQUIRE(decoded.has_value());
  return std::move(decoded).value();
}

Value round_trip_body(const Value& body) {
  CallRequest r;
  r.body = body;
  return round_trip(r).body;
}

std::vector<std::string> keys_of(const Object& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object) keys.push_back(key);
  return keys;
}

// A request of nothing but a body, written by hand: version, empty operation, empty headers.
std::string bytes_with_body(const std::string& body) {
  std::string out;
  out.push_back(1);                                       // format version
  out.push_back(0);                                       // operation: empty text
  out.push_back(static_cast<char>(Value::Type::object));  // headers
  out.push_back(0);                                       // no members
  return out + body;
}

void put_varint(std::string& out, std::uint64_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

TEST_CASE("request bytes: every Value type comes back as itself", "[delivery][request_bytes]") {
  CHECK(round_trip_body(Value()).is_null());
  CHECK(round_trip_body(Value(true)) == Value(true));
  CHECK(round_trip_body(Value(false)) == Value(false));
  for (std::int64_t n : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{127}, std::int64_t{128},
                         std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    const Value back = round_trip_body(Value(n));
    REQUIRE(back.is_int());
    CHECK(back.as_int() == n);
  }
  for (double d : {0.0, -0.0, 0.1, -1e308, 5e-324, std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()}) {
    const Value back = round_trip_body(Value(d));
    REQUIRE(back.is_real());
    // Bit for bit: -0.0 keeps its sign and NaN its payload, which == cannot tell.
    CHECK(std::bit_cast<std::uint64_t>(back.as_real()) == std::bit_cast<std::uint64_t>(d));
  }

  const Value money = round_trip_body(Value(Decimal{"12.50"}));
  REQUIRE(money.is_decimal());
  CHECK(money.as_decimal().text == "12.50");
  const Value exact = round_trip_body(Value(Decimal{"-0.000100"}));
  REQUIRE(exact.is_decimal());
  CHECK(exact.as_decimal().text == "-0.000100");

  const Value text = round_trip_body(Value("Müller, Jürgen"));
  REQUIRE(text.is_string());
  CHECK(text.as_string() == "Müller, Jürgen");
  CHECK(round_trip_body(Value("")) == Value(""));

  const std::string binary("\x00\x00\x02\x00\xff\x7f\x80\x00", 8);
  const Value bytes = round_trip_body(Value(Bytes{Text(binary)}));
  REQUIRE(bytes.is_bytes());
  CHECK(bytes.as_bytes().data.view().size() == 8);
  CHECK(bytes.as_bytes().data.view() == binary);
  // Bytes that happen to be text stay bytes, and a string with NULs stays a string.
  CHECK(round_trip_body(Value(Bytes{Text("abc")})).is_bytes());
  const Value nul_string = round_trip_body(Value(std::string("a\0b", 3)));
  REQUIRE(nul_string.is_string());
  CHECK(nul_string.as_string() == std::string_view("a\0b", 3));

  CHECK(round_trip_body(Value(Array{})) == Value(Array{}));
  CHECK(round_trip_body(Value(Object{})) == Value(Object{}));
}

TEST_CASE("request bytes: a borrowed string is written as its bytes", "[delivery][request_bytes]") {
  const Buffer buffer = make_buffer("prefix-the borrowed part-suffix");
  const Value borrowed(Text::borrow(buffer, std::string_view(*buffer).substr(7, 17)));
  const Value back = round_trip_body(borrowed);
  REQUIRE(back.is_string());
  CHECK(back.as_string() == "the borrowed part");
  CHECK_FALSE(back.as_text().is_borrowed());
}

TEST_CASE("request bytes: nested arrays and objects keep their order, headers and operation too",
          "[delivery][request_bytes]") {
  const CallRequest original = sample_request();
  const CallRequest back = round_trip(original);
  CHECK(back.operation == "RegisterPatient");
  CHECK(back.headers == original.headers);
  CHECK(keys_of(back.headers) == std::vector<std::string>{"X-Sign", "Content-Type", "A-Last"});
  CHECK(back.body == original.body);
  REQUIRE(back.body.is_object());
  CHECK(keys_of(back.body.as_object()) == std::vector<std::string>{"patient", "mac", "count", "ratio"});
  const Value* patient = back.body.find("patient");
  REQUIRE(patient);
  CHECK(keys_of(patient->as_object()) == std::vector<std::string>{"zeta", "alpha", "mid"});
  CHECK(patient->find("alpha")->as_decimal().text == "12.50");
  const Array& mid = patient->find("mid")->as_array();
  REQUIRE(mid.size() == 3);
  CHECK(mid[0] == Value(true));
  CHECK(mid[1].is_null());
  CHECK(mid[2] == Value("x"));
  CHECK(back.body.find("mac")->as_bytes().data.view() == std::string_view("\x00\x01\xff\x00", 4));

  // Arrays of arrays of objects: order at every level.
  Array rows;
  for (int i = 0; i < 5; ++i) {
    Object row;
    row.push_back("n" + std::to_string(4 - i), Value(i));
    row.push_back("a", Value(Array{Value(i), Value(Array{Value(-i)})}));
    rows.push_back(Value(std::move(row)));
  }
  const Value nested(Array{Value(std::move(rows)), Value(Array{})});
  CHECK(round_trip_body(nested) == nested);

  // An object may hold a key twice (codecs build fresh objects with push_back): both stay.
  Object twice;
  twice.push_back("k", Value(1));
  twice.push_back("k", Value(2));
  const Value both = round_trip_body(Value(twice));
  REQUIRE(both.as_object().size() == 2);
  CHECK(both == Value(twice));
}

TEST_CASE("request bytes: an empty request and a large one", "[delivery][request_bytes]") {
  const CallRequest empty = round_trip(CallRequest{});
  CHECK(empty.body.is_null());
  CHECK(empty.headers.empty());
  CHECK(empty.operation.empty());

  CallRequest big;
  big.operation = std::string(300, 'o');  // a length that needs two varint bytes
  Array items;
  for (int i = 0; i < 20'000; ++i) items.push_back(Value(std::string(i % 300, static_cast<char>('a' + i % 26))));
  big.body = Value(std::move(items));
  const CallRequest back = round_trip(big);
  CHECK(back.operation == big.operation);
  CHECK(back.body == big.body);
}

TEST_CASE("request bytes: every truncation of a request is an error", "[delivery][request_bytes]") {
  const std::string bytes = encode_request(sample_request());
  REQUIRE(bytes.size() > 40);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("prefix of " << n << " of " << bytes.size() << " bytes");
    auto decoded = decode_request(std::string_view(bytes).substr(0, n));
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().kind == ErrorKind::internal);
  }
  // And one byte too many is damage as well.
  auto longer = decode_request(bytes + '\0');
  REQUIRE_FALSE(longer.has_value());
  CHECK(longer.error().kind == ErrorKind::internal);
}

TEST_CASE("request bytes: another format version is refused and named", "[delivery][request_bytes]") {
  std::string bytes = encode_request(sample_request());
  CHECK(static_cast<unsigned char>(bytes[0]) == 1);
  for (unsigned char version : {0, 2, 255}) {
    bytes[0] = static_cast<char>(version);
    auto decoded = decode_request(bytes);
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().kind == ErrorKind::internal);
    CHECK(decoded.error().message.find("format " + std::to_string(version)) != std::string::npos);
  }
}

TEST_CASE("request bytes: damaged tags, counts and lengths are errors", "[delivery][request_bytes]") {
  auto damaged = [](const std::string& bytes) {
    auto decoded = decode_request(bytes);
    if (decoded) return false;
    return decoded.error().kind == ErrorKind::internal;
  };
  // The well-formed base decodes, so each failure below is the damage it names.
  REQUIRE(decode_request(bytes_with_body(std::string(1, '\0'))).has_value());

  CHECK(damaged(bytes_with_body("\x09")));  // no such type
  CHECK(damaged(bytes_with_body("\xff")));
  CHECK(damaged(bytes_with_body(std::string("\x01\x02", 2))));          // a boolean is 0 or 1
  CHECK(damaged(bytes_with_body(std::string("\x02\x01\x02\x03", 4))));  // an integer is 8 bytes

  // Headers must be an object.
  std::string headers_array;
  headers_array.push_back(1);
  headers_array.push_back(0);
  headers_array.push_back(static_cast<char>(Value::Type::array));
  headers_array.push_back(0);
  headers_array.push_back(0);
  CHECK(damaged(headers_array));

  // A text longer than the row, and a count far beyond it, the largest a varint holds included.
  for (std::uint64_t count :
       {std::uint64_t{5}, std::uint64_t{1} << 32, std::uint64_t{1} << 62, std::numeric_limits<std::uint64_t>::max()}) {
    INFO("count " << count);
    for (Value::Type type :
         {Value::Type::string, Value::Type::decimal, Value::Type::bytes, Value::Type::array, Value::Type::object}) {
      std::string body(1, static_cast<char>(type));
      put_varint(body, count);
      body += "abc";
      CHECK(damaged(bytes_with_body(body)));
    }
    std::string operation;
    operation.push_back(1);
    put_varint(operation, count);
    operation += "abc";
    CHECK(damaged(operation));
  }
  // A varint that never ends.
  CHECK(damaged(bytes_with_body(std::string(1, static_cast<char>(Value::Type::string)) + std::string(12, '\xff'))));
}

TEST_CASE("request bytes: every single-byte change decodes or fails, never crashes", "[delivery][request_bytes]") {
  const std::string original = encode_request(sample_request());
  int failed = 0;
  for (std::size_t i = 0; i < original.size(); ++i) {
    for (int b : {0x00, 0x01, 0x07, 0x08, 0x7f, 0x80, 0xff}) {
      std::string bytes = original;
      bytes[i] = static_cast<char>(b);
      auto decoded = decode_request(bytes);
      if (!decoded) {
        ++failed;
        CHECK(decoded.error().kind == ErrorKind::internal);
      }
    }
  }
  CHECK(failed > 0);
}

TEST_CASE("request bytes: nesting beyond any message is damage, not a stack overflow", "[delivery][request_bytes]") {
  // A million nested arrays, written by hand: the decoder must stop long before its stack does.
  std::string deep;
  for (int i = 0; i < 1'000'000; ++i) {
    deep.push_back(static_cast<char>(Value::Type::array));
    deep.push_back(1);
  }
  deep.push_back(0);
  auto decoded = decode_request(bytes_with_body(deep));
  REQUIRE_FALSE(decoded.has_value());
  CHECK(decoded.error().kind == ErrorKind::internal);

  std::string deep_objects;
  for (int i = 0; i < 1'000'000; ++i) {
    deep_objects.push_back(static_cast<char>(Value::Type::object));
    deep_objects.push_back(1);
    deep_objects.push_back(1);
    deep_objects.push_back('k');
  }
  deep_objects.push_back(0);
  CHECK_FALSE(decode_request(bytes_with_body(deep_objects)).has_value());
}

TEST_CASE("request bytes: a tree as deep as the xml codec builds reads back", "[delivery][request_bytes]") {
  // The xml codec allows max_depth up to 1000 elements, and a repeated element adds an array
  // level under its object: about 2000 Value levels that encode_request writes without
  // complaint, so decode_request must read them, or the delivery is a dead letter that says
  // its row is damaged.
  Value tree("leaf");
  for (int level = 0; level < 1000; ++level) {
    Object element;
    element.push_back("item", Value(Array{Value(Object{{"n", Value(level)}}), std::move(tree)}));
    tree = Value(std::move(element));
  }
  Object top;
  top.push_back("root", std::move(tree));
  const Value body(std::move(top));
  CHECK(round_trip_body(body) == body);

  // The default xml max_depth, 128, with repeated elements: 257 levels.
  Value defaults("leaf");
  for (int level = 0; level < 128; ++level)
    defaults = Value(Object{{"e", Value(Array{Value(1), std::move(defaults)})}});
  CHECK(round_trip_body(defaults) == defaults);
}

TEST_CASE("request bytes: a damaged count costs no more memory than the row's bytes", "[delivery][request_bytes]") {
  // Each level claims as many elements as the row has bytes left, which passes the check that
  // a count fits the row; then a run of one-byte nulls and the end. Were each level to make room
  // for its claimed count before reading, 40 levels of ~100k Values each would take hundreds of
  // MB to decode a 100 kB row. Peak RSS is per process: run this test alone to be sure of it
  // (ctest does), since an earlier test's peak could hide a rise.
  constexpr std::size_t levels = 40;
  constexpr std::size_t nulls = 100'000;
  std::string body;
  for (std::size_t i = 0; i < levels; ++i) {
    body.push_back(static_cast<char>(Value::Type::array));
    put_varint(body, nulls);
  }
  body.append(nulls, '\0');
  const long before = peak_rss_kib();
  auto decoded = decode_request(bytes_with_body(body));
  const long after = peak_rss_kib();
  CHECK_FALSE(decoded.has_value());
  INFO("peak RSS grew by " << (after - before) << " KiB, sizeof(Value) " << sizeof(Value));
  CHECK(after - before < 64 * 1024);
}
