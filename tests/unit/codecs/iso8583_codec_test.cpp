// The iso8583 codec on golden messages of each shipped dialect: the public vectors, a UnionPay
// sale request, ASCII and binary ISO 8583:1987 with odd-length BCD, LLLVAR fields and secondary
// bitmaps; decode gives exact values and encode gives the exact bytes back.

#include "codecs/iso8583/bitmap.hpp"
#include "codecs/json/json_codec.hpp"
#include "tests/unit/codecs/iso8583_test_support.hpp"

using namespace qiao;
using namespace iso8583_test;

namespace {

std::string json_of(const Value& v) {
  auto text = json::encode(v);
  REQUIRE(text);
  return *text;
}

Value json_value(const std::string& text) {
  auto v = json::decode(make_buffer(text));
  INFO(text);
  REQUIRE(v);
  return *v;
}

}  // namespace

TEST_CASE("vector 1: ASCII MTI, hex bitmap, LLVAR field 2 with ASCII length", "[iso8583]") {
  const auto& spec = dialect("iso87ascii");
  const std::string raw = "02004000000000000000101234567890";
  CHECK(json_of(decode_ok(spec, raw)) == R"({"mti":"0200","2":"1234567890"})");
  CHECK(encode_ok(spec, decode_ok(spec, raw)) == raw);
}

TEST_CASE("vector 2: bitmap 7010001102C04804 names fields 2 3 4 12 28 32 39 41 42 50 53 62", "[iso8583]") {
  iso8583::Bitmap bitmap;
  CHECK(bitmap.read(bytes("7010001102C04804"), iso8583::Encoding::binary, 0) == std::string_view::npos);
  std::vector<int> present;
  for (int n = 1; n <= 64; ++n)
    if (bitmap.test(n)) present.push_back(n);
  CHECK(present == std::vector<int>{2, 3, 4, 12, 28, 32, 39, 41, 42, 50, 53, 62});
  iso8583::Bitmap from_hex;
  CHECK(from_hex.read("7010001102c04804", iso8583::Encoding::hex, 0) == std::string_view::npos);  // lower case read too
  std::string written;
  from_hex.write(iso8583::Encoding::hex, written);
  CHECK(written == "7010001102C04804");

  // The same bitmap in a whole 1987 binary message: x+n amount as an ASCII sign and BCD digits,
  // an odd LLVAR n field, an LLLVAR text field.
  const auto& spec = dialect("iso87binary");
  const std::string raw = bytes(
      "0200 7010001102C04804"
      "16 4111111111111111"             // 2: 16 digits
      "000000 000000001000 101530"      // 3, 4, 12
      "44 00000150"                     // 28: 'D' then 8 BCD digits
      "05 123450"                       // 32: 5 digits, trailing 0 nibble
      "3030"                            // 39
      "5445524D30303031"                // 41 TERM0001
      "4D45524348414E5430303030303031"  // 42 MERCHANT0000001
      "383430"                          // 50
      "0000000000000001"                // 53
      "0003 414243");                   // 62 LLLVAR, BCD length 0003
  const Value v = decode_ok(spec, raw);
  CHECK(
      json_of(v) ==
      R"({"mti":"0200","2":"4111111111111111","3":"000000","4":"000000001000","12":"101530","28":"D00000150",)"
      R"("32":"12345","39":"00","41":"TERM0001","42":"MERCHANT0000001","50":"840","53":"0000000000000001","62":"ABC"})");
  CHECK(hex(encode_ok(spec, v)) == hex(raw));
}

TEST_CASE("vector 3: an odd BCD LLVAR PAN takes one BCD length byte and a trailing 0 nibble", "[iso8583]") {
  for (const char* name : {"iso87binary", "cup"}) {
    const auto& spec = dialect(name);
    Value v(Object{{"mti", "0200"}, {"2", "121200000002121"}});
    const std::string packed = encode_ok(spec, v);
    const std::size_t field2 = spec.headers.empty() ? 10 : 21;  // after (headers,) MTI and bitmap
    CHECK(hex(packed.substr(field2)) == "151212000000021210");
    CHECK(decode_ok(spec, packed).find("2")->as_string() == "121200000002121");
  }
}

TEST_CASE("vector 4 and a UnionPay sale request (0200) decode to exact values and encode back", "[iso8583][cup]") {
  const auto& spec = dialect("cup");
  const std::string raw = read_hex("cup_sale_0200.hex");
  const Value v = decode_ok(spec, raw);
  CHECK(json_of(v) ==
        R"({"mti":"0200","tpdu":"6000060000","header":"603100311003","2":"6222021234567890123","3":"000000",)"
        R"("4":"000000012345","11":"000123","14":"2812","22":"051","23":"001","25":"00","26":"12",)"
        R"("35":"6222021234567890123=2812201","41":"12345678","42":"898310048141234","48":"0102","49":"156",)"
        R"("52":"A1B2C3D4E5F60718","53":"2600000000000000","55":{"9F26":"0123456789ABCDEF","9F27":"80",)"
        R"("9F10":"07010103A00000","9F37":"11223344","9F36":"0013","95":"0000000000","9A":"261122","9C":"00",)"
        R"("9F02":"000000012345","5F2A":"0156","82":"7C00"},"59":"010TEST",)"
        R"("60":{"1":"22","2":"000001","3":"000","4":"5","5":"0"},"64":"0102030405060708"})");
  CHECK(hex(encode_ok(spec, v)) == hex(raw));
  // Encoding the same content given in another key order (as JSON or Lua may) gives the same bytes.
  const Value shuffled = json_value(
      R"({"64":"0102030405060708","60":{"1":"22","2":"000001","3":"000","4":"5","5":"0"},"59":"010TEST",)"
      R"("55":{"9F26":"0123456789ABCDEF","9F27":"80","9F10":"07010103A00000","9F37":"11223344","9F36":"0013",)"
      R"("95":"0000000000","9A":"261122","9C":"00","9F02":"000000012345","5F2A":"0156","82":"7C00"},)"
      R"("53":"2600000000000000","52":"a1b2c3d4e5f60718","49":"156","48":"0102","42":"898310048141234",)"
      R"("41":"12345678","35":"6222021234567890123D2812201","26":"12","25":"00","23":"001","22":"051",)"
      R"("14":"2812","11":"000123","4":"000000012345","3":"000000","2":"6222021234567890123",)"
      R"("header":"603100311003","tpdu":"6000060000","mti":"0200"})");
  CHECK(hex(encode_ok(spec, shuffled)) == hex(raw));
}

TEST_CASE("encode fills fixed fields, formats integers and packs positional subfields", "[iso8583][cup]") {
  const auto& spec = dialect("cup");
  // Integers (as Lua gives them) and short n values are right-aligned with zeros; headers come
  // from the spec's defaults; subfield 60.2 given as an integer is zero-filled to 6 digits.
  Value v(Object{{"mti", "0800"},
                 {"11", std::int64_t{42}},
                 {"41", "T1"},
                 {"60", Value(Object{{"1", "00"}, {"2", std::int64_t{7}}, {"3", "001"}})}});
  const std::string packed = encode_ok(spec, v);
  CHECK(hex(packed) ==
        "6000000000"
        "603100000000"
        "0800"
        "0020000000800010"
        "000042"              // 11
        "5431202020202020"    // 41 "T1" and six spaces
        "0011000000070010");  // 60: 11 digits "00000007001", trailing 0 nibble
  CHECK(json_of(decode_ok(spec, packed)) ==
        R"({"mti":"0800","tpdu":"6000000000","header":"603100000000","11":"000042","41":"T1      ",)"
        R"("60":{"1":"00","2":"000007","3":"001"}})");
  // A composite field may also be given whole, as its text.
  Value flat(Object{{"mti", "0800"}, {"60", "00000007001"}});
  const std::string flat_hex = hex(encode_ok(spec, flat));
  CHECK(flat_hex.substr(flat_hex.size() - 16) == "0011000000070010");
  // Bytes values are accepted for b fields; null values are absent fields.
  Value with_bytes(Object{{"mti", "0800"}, {"52", Value(Bytes{Text(bytes("0102030405060708"))})}, {"64", Value()}});
  CHECK(hex(encode_ok(spec, with_bytes)) ==
        "6000000000603100000000"
        "0800"
        "0000000000001000"
        "0102030405060708");
}

TEST_CASE("ISO 8583:1987 ASCII: secondary bitmap only with a field above 64, LLLVAR, binary as hex", "[iso8583]") {
  const auto& spec = dialect("iso87ascii");
  // Network management 0800 with field 70: the secondary bitmap is there.
  const std::string echo_test =
      "0800"
      "8220000000000000"
      "0400000000000000"
      "1122153012"
      "000001"
      "301";
  const Value v = decode_ok(spec, echo_test);
  CHECK(json_of(v) == R"({"mti":"0800","7":"1122153012","11":"000001","70":"301"})");
  CHECK(encode_ok(spec, v) == echo_test);
  // Without it, no secondary bitmap and bit 1 is clear.
  Value primary_only = v;
  primary_only.as_object().erase("70");
  CHECK(encode_ok(spec, primary_only) ==
        "0800"
        "0220000000000000"
        "1122153012"
        "000001");

  // LLLVAR text (48), x+n (28), a PIN block and a MAC as hex digits, field 128 as the MAC of a
  // message with a secondary bitmap.
  const std::string raw =
      "0200"
      "F000001000011000"
      "0000000000000001"
      "164111111111111111"
      "003000"
      "000000010000"
      "C00000050"
      "011Hello world"
      "0123456789ABCDEF"
      "FEDCBA9876543210";
  const Value sale = decode_ok(spec, raw);
  CHECK(json_of(sale) == R"({"mti":"0200","2":"4111111111111111","3":"003000","4":"000000010000","28":"C00000050",)"
                         R"("48":"Hello world","52":"0123456789ABCDEF","128":"FEDCBA9876543210"})");
  CHECK(encode_ok(spec, sale) == raw);
}

TEST_CASE("ISO 8583:1987 binary: odd fixed BCD, LLLVAR track 3, secondary bitmap", "[iso8583]") {
  const auto& spec = dialect("iso87binary");
  const std::string raw = bytes(
      "0420"
      "B000000010000000"  // 1 (secondary), 3, 4, 36
      "0000002000000000"  // 91 (file update code)
      "003000 000000010000"
      "0021 1234567890123456789010"  // 36: 21 chars of track 3 → 11 bytes with a trailing 0 nibble
      "41");                         // 91 "A"
  const Value v = decode_ok(spec, raw);
  CHECK(json_of(v) == R"({"mti":"0420","3":"003000","4":"000000010000","36":"123456789012345678901","91":"A"})");
  CHECK(hex(encode_ok(spec, v)) == hex(raw));
  // An odd fixed BCD field (22, n 3) takes a leading 0 nibble.
  CHECK(hex(encode_ok(spec, Value(Object{{"mti", "0200"}, {"22", "051"}}))) ==
        "0200"
        "0000040000000000"
        "0051");
}

TEST_CASE("ASCII text longer than a small string borrows from the message buffer", "[iso8583]") {
  const auto& spec = dialect("iso87ascii");
  auto buffer = make_buffer(std::string("0200") + "0000000000010000" + "025" + "A message of 25 bytes ok.");
  auto v = iso8583::decode(buffer, spec);
  REQUIRE(v);
  CHECK(v->find("48")->as_text().is_borrowed());
  CHECK(v->find("48")->as_string() == "A message of 25 bytes ok.");
  CHECK_FALSE(v->find("mti")->as_text().is_borrowed());
}
