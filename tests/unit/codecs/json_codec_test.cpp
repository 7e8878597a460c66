#include "codecs/json/json_codec.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/value.hpp"
#include "tests/unit/codecs/codec_name_support.hpp"

using qiao::Array;
using qiao::Bytes;
using qiao::Decimal;
using qiao::ErrorKind;
using qiao::Object;
using qiao::Text;
using qiao::Value;

namespace {

Value decode_ok(std::string text) {
  auto decoded = qiao::json::decode(qiao::make_buffer(std::move(text)));
  if (!decoded) FAIL("decode failed: " << decoded.error().message);
  return std::move(decoded).value();
}

// The message of a decode that must fail; also checks the kind, which sources map to a reply.
std::string decode_error(std::string text) {
  auto decoded = qiao::json::decode(qiao::make_buffer(std::move(text)));
  if (decoded) FAIL("decode unexpectedly succeeded");
  CHECK(decoded.error().kind == ErrorKind::bad_input);
  return decoded.error().message;
}

std::string encode_ok(const Value& value) {
  auto encoded = qiao::json::encode(value);
  if (!encoded) FAIL("encode failed: " << encoded.error().message);
  return std::move(encoded).value();
}

std::string encode_error(const Value& value) {
  auto encoded = qiao::json::encode(value);
  if (encoded) FAIL("encode unexpectedly succeeded: " << *encoded);
  CHECK(encoded.error().kind == ErrorKind::flow);
  return encoded.error().message;
}

Value nested_arrays(std::size_t depth) {
  Value v = Array{};
  for (std::size_t i = 1; i < depth; ++i) {
    Array outer;
    outer.push_back(std::move(v));
    v = Value(std::move(outer));
  }
  return v;
}

}  // namespace

TEST_CASE("json kind: name, content type, and no argument accepted", "[codec][json]") {
  qiao::json::JsonCodecKind kind;
  CHECK(kind.name() == "json");
  CHECK_FALSE(kind.description().empty());
  CHECK(kind.schema().empty());

  auto codec = qiao::testing::make_codec("json", "/etc/qiao");
  REQUIRE(codec);
  CHECK((*codec)->content_type() == "application/json");
  auto decoded = (*codec)->decode(qiao::make_buffer(R"({"a":1})"));
  REQUIRE(decoded);
  CHECK(decoded->find("a")->as_int() == 1);
  auto encoded = (*codec)->encode(*decoded);
  REQUIRE(encoded);
  CHECK(*encoded == R"({"a":1})");

  auto refused = qiao::testing::make_codec("json:utf16", "/etc/qiao");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::config);
  CHECK(refused.error().message == "codec json: option 'utf16' needs a value (write utf16=…)");
  CHECK(qiao::testing::codec_error("json:indent=2") == "codec json: unknown key 'indent' (known: )");
}

TEST_CASE("json kind registers under its name once", "[codec][json]") {
  qiao::Registry<qiao::CodecKind> codecs;
  REQUIRE(codecs.add(std::make_unique<qiao::json::JsonCodecKind>()));
  REQUIRE(codecs.find("json") != nullptr);
  CHECK(codecs.find("json")->name() == "json");
  auto again = codecs.add(std::make_unique<qiao::json::JsonCodecKind>());
  REQUIRE_FALSE(again);
  CHECK(again.error().message == "plugin 'json' registered twice");
}

TEST_CASE("json decode: scalars map to Value types", "[codec][json]") {
  CHECK(decode_ok("null").is_null());
  CHECK(decode_ok("true") == Value(true));
  CHECK(decode_ok("false") == Value(false));
  CHECK(decode_ok("0") == Value(0));
  CHECK(decode_ok("-42") == Value(-42));
  CHECK(decode_ok(" \t\r\n7 \n") == Value(7));
  CHECK(decode_ok(R"("hi")") == Value("hi"));
  CHECK(decode_ok(R"("")") == Value(""));
  // No number passes through a double: anything not an int64 keeps its text.
  CHECK(decode_ok("12.50") == Value(Decimal{"12.50"}));
  CHECK(decode_ok("1E+2") == Value(Decimal{"1E+2"}));
  CHECK(decode_ok("0.1e-7") == Value(Decimal{"0.1e-7"}));
  CHECK(decode_ok("100").is_int());
  CHECK(decode_ok("[]") == Value(Array{}));
  CHECK(decode_ok("{}") == Value(Object{}));
}

TEST_CASE("json decode: integers fit int64 or stay exact decimals", "[codec][json]") {
  Value v = decode_ok(
      "[9223372036854775807,-9223372036854775808,9223372036854775808,-9223372036854775809,"
      "12345678901234567890,-0]");
  const Array& a = v.as_array();
  REQUIRE(a.size() == 6);
  CHECK(a[0] == Value(std::numeric_limits<std::int64_t>::max()));
  CHECK(a[1] == Value(std::numeric_limits<std::int64_t>::min()));
  CHECK(a[2] == Value(Decimal{"9223372036854775808"}));
  CHECK(a[3] == Value(Decimal{"-9223372036854775809"}));
  CHECK(a[4] == Value(Decimal{"12345678901234567890"}));
  CHECK(a[5] == Value(Decimal{"-0"}));  // as the integer 0 it would leave as "0"
  CHECK(encode_ok(v) ==
        "[9223372036854775807,-9223372036854775808,9223372036854775808,-9223372036854775809,"
        "12345678901234567890,-0]");
}

TEST_CASE("json decode: a number beyond double range is refused", "[codec][json]") {
  CHECK(decode_error("[1, 1e400]") == "json: number too big to be stored in double at byte 4");
}

TEST_CASE("json round trip keeps key order, numbers and text byte for byte", "[codec][json]") {
  const std::string registration =
      R"({"orderNo":"R20240611000123","patient":{"id":"P0012345","name":"张三","gender":"M",)"
      R"("birthDate":"1980-02-29","idCard":"110101198002290011","phone":"13800138000"},)"
      R"("dept":{"code":"0301","name":"心血管内科"},"doctor":{"code":"D1024","title":"主任医师"},)"
      R"("fee":12.50,"insurance":{"type":"城镇职工","ratio":0.70,"cap":12345678901234567890},)"
      R"("slot":3,"urgent":false,"note":null,"tags":["初诊","weekend"],"z":1,"a":2})";
  Value v = decode_ok(registration);
  CHECK(v.find_path("patient.name")->as_string() == "张三");
  CHECK(v.find_path("dept.name")->as_string() == "心血管内科");
  CHECK(*v.find("fee") == Value(Decimal{"12.50"}));
  CHECK(*v.find_path("insurance.ratio") == Value(Decimal{"0.70"}));
  CHECK(*v.find("slot") == Value(3));
  CHECK(*v.find_path("tags.1") == Value("weekend"));

  std::string keys;
  for (const auto& [key, member] : v.as_object()) keys += key + ",";
  CHECK(keys == "orderNo,patient,dept,doctor,fee,insurance,slot,urgent,note,tags,z,a,");

  CHECK(encode_ok(v) == registration);
}

TEST_CASE("json round trip: containers nested inside each other keep their members apart", "[codec][json]") {
  const std::string text =
      R"({"a":[{"b":1,"c":[2,{"d":3,"e":[]}],"f":{}},[],[[4],5]],"g":{"h":{"i":"j"},"k":[{"l":null}]},"m":6})";
  Value v = decode_ok(text);
  CHECK(*v.find_path("a.0.c.1.d") == Value(3));
  CHECK(v.find_path("a.0.c.1.e")->as_array().empty());
  CHECK(*v.find_path("a.2.0.0") == Value(4));
  CHECK(*v.find_path("a.2.1") == Value(5));
  CHECK(*v.find_path("g.h.i") == Value("j"));
  CHECK(v.find_path("g.k.0.l")->is_null());
  CHECK(*v.find("m") == Value(6));
  CHECK(v.as_object().size() == 3);
  CHECK(encode_ok(v) == text);
}

TEST_CASE("json decode: unicode escapes become UTF-8, surrogate pairs included", "[codec][json]") {
  CHECK(decode_ok(R"("\u00e9\u4E2D\ud83d\ude00")").as_string() ==
        "\xC3\xA9"
        "\xE4\xB8\xAD"
        "\xF0\x9F\x98\x80");
  CHECK(decode_ok(R"("a\"b\\c\/d\b\f\n\r\t")").as_string() == "a\"b\\c/d\b\f\n\r\t");
  CHECK(decode_ok(R"("nul\u0000inside")").as_string() == std::string("nul\0inside", 10));
  // Escapes of Hangul produce ED followed by a byte below A0: valid, not a surrogate.
  CHECK(decode_ok(R"("\uD55C")").as_string() == "\xED\x95\x9C");

  CHECK(decode_error(R"(["\ud800"])") == "json: the surrogate pair in string is invalid at byte 2");
  CHECK(decode_error(R"(["\ud800\u0041"])") == "json: the surrogate pair in string is invalid at byte 2");
  // RapidJSON 1.1 lets a lone low surrogate through; the decoder catches it at the string.
  CHECK(decode_error(R"(["ok", "x\udc00"])") == "json: the surrogate pair in string is invalid at byte 7");
  CHECK(decode_error(R"({"\udfff": 1})") == "json: the surrogate pair in string is invalid at byte 1");
  CHECK(decode_error(R"(["\u12G4"])") == "json: incorrect hex digit after \\u escape in string at byte 2");
}

TEST_CASE("json decode: invalid UTF-8 is refused with its byte offset", "[codec][json]") {
  CHECK(decode_error("{\"name\":\"ab\xFF"
                     "cd\"}") == "json: invalid encoding in string at byte 11");
  CHECK(decode_error("[\"\xC0\xAF\"]") == "json: invalid encoding in string at byte 2");          // overlong '/'
  CHECK(decode_error("[\"\xED\xA0\x80\"]") == "json: invalid encoding in string at byte 2");      // raw surrogate
  CHECK(decode_error("[\"\xF4\x90\x80\x80\"]") == "json: invalid encoding in string at byte 2");  // above U+10FFFF
  CHECK(decode_error("{\"k\xFE\":1}") == "json: invalid encoding in string at byte 3");
  // A sequence cut off by the end of the input: the validator must not read past it.
  CHECK(decode_error("\"\xE4\xB8") == "json: invalid encoding in string at byte 1");
  CHECK(decode_error("\"\xF0") == "json: invalid encoding in string at byte 1");
  // Long enough for the copy to live on the heap, where a sanitizer build sees any over-read.
  CHECK(decode_error("\"" + std::string(40, 'a') + "\xF0") == "json: invalid encoding in string at byte 41");
}

TEST_CASE("json decode: malformed and truncated input", "[codec][json]") {
  CHECK(decode_error("[1, x]") == "json: invalid value at byte 4");
  CHECK(decode_error(R"({"patientId": "P1", "age": })") == "json: invalid value at byte 27");
  CHECK(decode_error(R"({"a": [1, 2)") == "json: missing a comma or ']' after an array element at byte 11");
  CHECK(decode_error(R"({"a":"abc)") == "json: missing a closing quotation mark in string at byte 9");
  CHECK(decode_error(R"({"a" 1})") == "json: missing a colon after a name of object member at byte 5");
  CHECK(decode_error(R"({"a":1,})") == "json: missing a name for object member at byte 7");
  CHECK(decode_error("{") == "json: missing a name for object member at byte 1");
  CHECK(decode_error("[1.]") == "json: miss fraction part in number at byte 3");
  CHECK(decode_error("NaN") == "json: invalid value at byte 0");
  CHECK(decode_error("[\"tab\there\"]") == "json: invalid escape character in string at byte 5");
  CHECK(decode_error("// comment\n{}") == "json: invalid value at byte 0");
}

TEST_CASE("json decode: trailing garbage is refused", "[codec][json]") {
  CHECK(decode_error(R"({"a":1} x)") == "json: the document root must not be followed by other values at byte 8");
  CHECK(decode_error("{}{}") == "json: the document root must not be followed by other values at byte 2");
  CHECK(decode_error("1 2") == "json: the document root must not be followed by other values at byte 2");
  CHECK(decode_ok("{\"a\":1} \r\n\t") == Value(Object{{"a", 1}}));
}

TEST_CASE("json decode: NUL bytes are refused where they are", "[codec][json]") {
  CHECK(decode_error(std::string("{\"a\":1}\0", 8)) == "json: unexpected NUL byte at byte 7");
  CHECK(decode_error(std::string("{\"a\":1}\0{}", 10)) == "json: unexpected NUL byte at byte 7");
  CHECK(decode_error(std::string("{\"a\":\"x\0y\"}", 11)) == "json: unexpected NUL byte at byte 7");
  CHECK(decode_error(std::string("[1,\0]", 5)) == "json: unexpected NUL byte at byte 3");
}

TEST_CASE("json decode: empty input", "[codec][json]") {
  CHECK(decode_error("") == "json: empty body");
  CHECK(decode_error("   ") == "json: the document is empty at byte 3");
  auto none = qiao::json::decode(qiao::Buffer());
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::bad_input);
  CHECK(none.error().message == "json: empty body");
}

TEST_CASE("json decode: a UTF-8 byte order mark is skipped, offsets still count it", "[codec][json]") {
  CHECK(decode_ok("\xEF\xBB\xBF{\"a\":1}") == Value(Object{{"a", 1}}));
  CHECK(decode_error("\xEF\xBB\xBF{\"a\":}") == "json: invalid value at byte 8");
  CHECK(decode_error("\xEF\xBB\xBF") == "json: the document is empty at byte 3");
}

TEST_CASE("json decode: nesting depth is limited", "[codec][json]") {
  const std::size_t limit = qiao::json::max_depth;
  REQUIRE(limit == 128);
  Value deepest = decode_ok(std::string(limit, '[') + std::string(limit, ']'));
  CHECK(deepest == nested_arrays(limit));

  CHECK(decode_error(std::string(limit + 1, '[') + std::string(limit + 1, ']')) ==
        "json: nesting deeper than 128 levels at byte 128");
  std::string objects;
  for (std::size_t i = 0; i <= limit; ++i) objects += R"({"a":)";
  CHECK(decode_error(objects) == "json: nesting deeper than 128 levels at byte 640");
  // Far deeper than any stack would take if the parser recursed without a limit.
  CHECK(decode_error(std::string(1'000'000, '[')) == "json: nesting deeper than 128 levels at byte 128");
}

TEST_CASE("json decode: long strings borrow from one copy of the input, short ones are owned", "[codec][json]") {
  auto input = qiao::make_buffer(
      R"({"short":"123456789012345","long":"1234567890123456","escaped":"line one\nline two\tend","1234567890123456":"k"})");
  const std::string original = *input;
  auto decoded = qiao::json::decode(input);
  REQUIRE(decoded);
  Value v = std::move(decoded).value();

  const Text& short_text = v.find("short")->as_text();
  const Text& long_text = v.find("long")->as_text();
  const Text& escaped = v.find("escaped")->as_text();
  CHECK_FALSE(short_text.is_borrowed());
  CHECK(short_text.view() == "123456789012345");
  CHECK(long_text.is_borrowed());
  CHECK(long_text.view() == "1234567890123456");
  CHECK(escaped.is_borrowed());
  CHECK(escaped.view() == "line one\nline two\tend");
  CHECK(v.find("1234567890123456")->as_string() == "k");

  // The caller's buffer is neither modified nor borrowed from: decoding parses its own copy.
  CHECK(*input == original);
  const char* view_at = long_text.view().data();
  CHECK_FALSE((view_at >= input->data() && view_at < input->data() + input->size()));

  // The borrowed strings keep their copy alive after the message buffer is gone.
  input.reset();
  CHECK(long_text.view() == "1234567890123456");
  CHECK(escaped.view() == "line one\nline two\tend");
  CHECK(encode_ok(v) == original);
}

TEST_CASE("json decode: duplicate keys, last value wins at the first position", "[codec][json]") {
  Value small = decode_ok(R"({"a":1,"b":2,"a":3,"c":4,"a":5})");
  CHECK(encode_ok(small) == R"({"a":5,"b":2,"c":4})");

  // Objects past the pairwise threshold take the sorting path.
  std::string text = "{";
  for (int i = 0; i < 20; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += R"("k5":"last","k19":null})";
  Value big = decode_ok(text);
  REQUIRE(big.as_object().size() == 20);
  auto member = big.as_object().begin();
  CHECK(member[5].first == "k5");
  CHECK(member[5].second == Value("last"));
  CHECK(member[19].first == "k19");
  CHECK(member[19].second.is_null());
  CHECK(member[18].second == Value(18));

  std::string unique = "{";
  for (int i = 0; i < 40; ++i) unique += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  unique += "}";
  CHECK(encode_ok(decode_ok(unique)) == unique);
}

TEST_CASE("json encode: every Value type, compact", "[codec][json]") {
  Value v = Object{
      {"patientId", "P001"},
      {"age", 42},
      {"fee", Decimal{"12.50"}},
      {"ratio", 0.5},
      {"ok", true},
      {"none", nullptr},
      {"raw", Bytes{Text(std::string("\x01\xAB\xFF\x00", 4))}},
      {"tags", Array{"a", "b"}},
      {"empty", Object{}},
      {"名字", "张三"},
  };
  CHECK(encode_ok(v) ==
        R"({"patientId":"P001","age":42,"fee":12.50,"ratio":0.5,"ok":true,"none":null,"raw":"01abff00",)"
        R"("tags":["a","b"],"empty":{},"名字":"张三"})");
  CHECK(encode_ok(Value(-1.25e-7)) == "-1.25e-7");
  CHECK(encode_ok(Value(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
  CHECK(encode_ok(Value(std::string("a\"b\\c/d\n\x01\x1f", 10))) == R"("a\"b\\c/d\n\u0001\u001F")");
  CHECK(encode_ok(Value(std::string("nul\0x", 5))) == R"("nul\u0000x")");
}

TEST_CASE("json encode: decimals are written verbatim when they are JSON numbers", "[codec][json]") {
  for (const char* good : {"0", "-0", "12.50", "1e5", "1E-5", "-0.0e+10", "12345678901234567890123"})
    CHECK(encode_ok(Value(Decimal{good})) == good);
  CHECK(encode_error(Object{{"fee", Decimal{"12,50"}}}) == R"(json: decimal "12,50" is not a JSON number at $.fee)");
  for (const char* bad : {"", "01", "1.", ".5", "+1", "1e", "1e+", "-", "0x10", "1 ", "NaN"}) {
    INFO("decimal '" << bad << "'");
    CHECK_THAT(encode_error(Value(Decimal{bad})), Catch::EndsWith("is not a JSON number at $"));
  }
  CHECK(encode_error(Value(Decimal{"\n\xFF"})) == R"(json: decimal "\x0a\xff" is not a JSON number at $)");
}

TEST_CASE("json encode: NaN and Infinity are refused", "[codec][json]") {
  CHECK(encode_error(Object{{"amount", std::nan("")}}) == "json: cannot encode NaN/Infinity at $.amount");
  CHECK(encode_error(Value(std::numeric_limits<double>::infinity())) == "json: cannot encode NaN/Infinity at $");
  CHECK(encode_error(Array{1, -std::numeric_limits<double>::infinity()}) == "json: cannot encode NaN/Infinity at $[1]");
}

TEST_CASE("json encode: invalid UTF-8 is refused, naming its path", "[codec][json]") {
  CHECK(encode_error(Object{{"patient", Object{{"id", "P1"}, {"name", std::string("Zhang\xFF")}}}}) ==
        "json: invalid UTF-8 in string at $.patient.name");
  CHECK(encode_error(Object{{"items", Array{Object{{"name", "ok"}}, Object{{"name", "\xC0\xAF"}}}}}) ==
        "json: invalid UTF-8 in string at $.items[1].name");
  CHECK(encode_error(Object{{"患者", Object{{"姓名", "\xED\xA0\x80"}}}}) ==
        "json: invalid UTF-8 in string at $.患者.姓名");
  CHECK(encode_error(Object{{"first name", "\xE4\xB8"}}) == R"(json: invalid UTF-8 in string at $["first name"])");
  CHECK(encode_error(Object{{"patient", Object{{"na\xFFme", 1}}}}) ==
        R"(json: invalid UTF-8 in key at $.patient["na\xffme"])");
  CHECK(encode_error(Value("\xF4\x90\x80\x80")) == "json: invalid UTF-8 in string at $");
  // A truncated sequence at the very end of a long ASCII string (past the eight-byte fast path).
  CHECK(encode_error(Value(std::string(21, 'a') + "\xF0\x9F\x98")) == "json: invalid UTF-8 in string at $");
  CHECK(encode_ok(Value(std::string(21, 'a') + "\xF0\x9F\x98\x80")) ==
        "\"" + std::string(21, 'a') + "\xF0\x9F\x98\x80\"");
}

TEST_CASE("json encode: nesting depth is limited like decode", "[codec][json]") {
  CHECK(encode_ok(nested_arrays(qiao::json::max_depth)) ==
        std::string(qiao::json::max_depth, '[') + std::string(qiao::json::max_depth, ']'));
  std::string path = "$";
  for (std::size_t i = 0; i < qiao::json::max_depth; ++i) path += "[0]";
  CHECK(encode_error(nested_arrays(qiao::json::max_depth + 1)) == "json: nesting deeper than 128 levels at " + path);
}
