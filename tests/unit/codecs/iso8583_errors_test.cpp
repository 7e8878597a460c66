// What the iso8583 codec refuses, with the exact text a user sees: undecodable messages
// (bad_input, naming the field and byte), values that do not fit their fields (flow), and spec
// files with mistakes (config, as file:line:col).

#include "tests/unit/codecs/codec_name_support.hpp"
#include "tests/unit/codecs/iso8583_test_support.hpp"

using namespace qiao;
using namespace iso8583_test;

namespace {

std::string with_byte(std::string raw, std::size_t at, unsigned char value) {
  raw.at(at) = static_cast<char>(value);
  return raw;
}

// A UnionPay message of headers, MTI and the given bitmap and fields (hex).
std::string cup_message(const std::string& mti, const std::string& bitmap_and_fields) {
  return bytes("6000060000 603100311003" + mti + bitmap_and_fields);
}

}  // namespace

TEST_CASE("undecodable UnionPay messages name the field and the byte", "[iso8583][errors]") {
  const auto& spec = dialect("cup");
  const std::string sale = read_hex("cup_sale_0200.hex");
  REQUIRE(sale.size() == 211);

  // Truncated in field 4 (bytes 35–40).
  CHECK(decode_error(spec, sale.substr(0, 38)) ==
        "bad_input: iso8583: field 4 (amount in fen / 交易金额): needs 6 bytes (12 digits), 3 left at byte 35");
  // Wrong length: the PAN's BCD length says 25, the field holds at most 19.
  CHECK(decode_error(spec, with_byte(sale, 21, 0x25)) ==
        "bad_input: iso8583: field 2 (primary account number / 主账号): length 25 is more than its maximum 19 at byte "
        "21");
  CHECK(decode_error(spec, with_byte(sale, 21, 0x1A)) ==
        "bad_input: iso8583: field 2 (primary account number / 主账号): length prefix is not BCD (0x1A) at byte 21");
  // The bitmap names field 5, which UnionPay POS does not use.
  CHECK(decode_error(spec, with_byte(sale, 13, 0x78)) ==
        "bad_input: iso8583: bitmap: names field 5, which the dialect does not define at byte 13");
  // Non-numeric data in n fields, and a track 2 nibble that is neither a digit nor the separator.
  CHECK(decode_error(spec, with_byte(sale, 32, 0x0A)) ==
        "bad_input: iso8583: field 3 (processing code / 交易处理码): nibble A is not a digit at byte 32");
  CHECK(decode_error(spec, with_byte(sale, 62, 0x3E)) ==
        "bad_input: iso8583: field 35 (track 2 / 2磁道数据): nibble E is not a digit at byte 62");
  // The spare nibble of an odd BCD field may be 0 or F, nothing else.
  CHECK(decode_error(spec, with_byte(sale, 46, 0x50)) ==
        "bad_input: iso8583: field 22 (POS entry mode / 服务点输入方式码): pad nibble 5 is neither 0 nor F at byte 46");
  CHECK(decode_ok(spec, with_byte(sale, 46, 0xF0)).find("22")->as_string() == "051");
  // Trailing bytes, an empty message, a missing MTI.
  CHECK(decode_error(spec, sale + '\0') == "bad_input: iso8583: message: 1 byte after the last field at byte 211");
  CHECK(decode_error(spec, sale + "ab") == "bad_input: iso8583: message: 2 bytes after the last field at byte 211");
  CHECK(decode_error(spec, "") == "bad_input: iso8583: header tpdu: needs 5 bytes, 0 left at byte 0");
  CHECK(decode_error(spec, sale.substr(0, 12)) == "bad_input: iso8583: mti: needs 2 bytes, 1 left at byte 11");
  CHECK(decode_error(spec, with_byte(sale, 12, 0x0B)) == "bad_input: iso8583: mti: nibble B is not a digit at byte 12");
  CHECK(decode_error(spec, sale.substr(0, 15)) == "bad_input: iso8583: bitmap: needs 8 bytes, 2 left at byte 13");
  // A secondary bitmap naming field 70, which UnionPay POS does not define.
  CHECK(decode_error(spec, cup_message("0800", "8000000000000000 0400000000000000")) ==
        "bad_input: iso8583: secondary bitmap: names field 70, which the dialect does not define at byte 21");
  // Field 60 cut inside its third subfield (9 digits: 22, 000001, then one of three).
  CHECK(decode_error(spec, cup_message("0800", "0000000000000010 0009 2200000100")) ==
        "bad_input: iso8583: field 60.3 (network management code / 网络管理信息码): has 1 of its 3 characters at byte "
        "23");
  // Field 55's TLV: a value shorter than its length says, a tag given twice.
  CHECK(decode_error(spec, cup_message("0200", "0000000000000200 0004 9F2605AA")) ==
        "bad_input: iso8583: field 55 (IC card data, BER-TLV / IC卡数据域): TLV tag 9F26: value needs 5 bytes, 1 left "
        "at byte 25");
  CHECK(decode_error(spec, cup_message("0200", "0000000000000200 0006 9C0100 9C0101")) ==
        "bad_input: iso8583: field 55 (IC card data, BER-TLV / IC卡数据域): TLV tag 9C appears twice at byte 26");
  CHECK(decode_error(spec, cup_message("0200", "0000000000000200 0003 9F8180")) ==
        "bad_input: iso8583: field 55 (IC card data, BER-TLV / IC卡数据域): TLV tag is cut short or longer than 4 "
        "bytes at byte 23");
}

TEST_CASE("undecodable ASCII messages name the field and the byte", "[iso8583][errors]") {
  const auto& spec = dialect("iso87ascii");
  CHECK(decode_error(spec, "02004000000000000000101234A67890") ==
        "bad_input: iso8583: field 2 (primary account number (PAN)): 'A' is not a digit at byte 26");
  CHECK(decode_error(spec, "0200400000000000000G101234567890") ==
        "bad_input: iso8583: bitmap: 'G' is not a hex digit at byte 19");
  CHECK(decode_error(spec, "02") == "bad_input: iso8583: mti: needs 4 bytes, 2 left at byte 0");
  CHECK(decode_error(spec, "02X0") == "bad_input: iso8583: mti: 'X' is not a digit at byte 2");
  CHECK(decode_error(spec, "020040000000000000001X1234567890") ==
        "bad_input: iso8583: field 2 (primary account number (PAN)): length prefix 'X' is not a digit at byte 21");
  CHECK(decode_error(spec, "0200400000000000000012123456789") ==
        "bad_input: iso8583: field 2 (primary account number (PAN)): needs 12 bytes (12 digits), 9 left at byte 22");
  // A PIN block in hex digits with a non-hex character; an x+n amount without its sign.
  CHECK(decode_error(spec,
                     "0200"
                     "0000000000001000"
                     "0123456789ABCDEG") ==
        "bad_input: iso8583: field 52 (personal identification number data (PIN block, 64 bits)): 'G' is not a hex "
        "digit at byte 35");
  CHECK(
      decode_error(spec,
                   "0200"
                   "0000001000000000"
                   "X00000050") ==
      "bad_input: iso8583: field 28 (amount, transaction fee (C/D + 8 digits)): 'X' is not a sign (C or D) at byte 20");
  // an fields admit letters, digits and spaces only.
  CHECK(decode_error(spec,
                     "0210"
                     "0000000002000000"
                     "0-") == "bad_input: iso8583: field 39 (response code): '-' is not allowed in type an at byte 21");
}

TEST_CASE("EBCDIC dialects and size limits", "[iso8583][errors]") {
  auto spec = iso8583::parse_spec(R"(mti: ebcdic
max_size: 40
fields:
  2: { name: pan, type: n, length: 19, format: LLVAR, encoding: ebcdic, prefix: ebcdic }
  43: { name: name and location, type: ans, length: 10, encoding: ebcdic }
)",
                                  "ebcdic.yaml");
  REQUIRE(spec);
  const std::string raw = bytes("F0F2F0F0 4000000000200000 F1F0 F1F2F3F4F5F6F7F8F9F0 C8859393966B40D8E95A");
  const Value v = decode_ok(*spec, raw);
  CHECK(v == Value(Object{{"mti", "0200"}, {"2", "1234567890"}, {"43", "Hello, QZ!"}}));
  CHECK(hex(encode_ok(*spec, v)) == hex(raw));
  CHECK(decode_error(*spec, with_byte(raw, 30, 0x00)) ==
        "bad_input: iso8583: field 43 (name and location): 0x00 is not a printable EBCDIC character at byte 30");
  CHECK(decode_error(*spec, raw + std::string(20, '\0')) ==
        "too_large: iso8583: message of 54 bytes is larger than max_size 40");
  CHECK(encode_error(*spec, Value(Object{{"mti", "0200"}, {"43", "caf\xc3\xa9"}})) ==
        "flow: iso8583: field 43 (name and location): character 4 has no EBCDIC form");
}

TEST_CASE("encode refuses values that do not fit their fields, naming the field", "[iso8583][errors]") {
  const auto& spec = dialect("cup");
  const auto refused = [&](Object fields) {
    Object message{{"mti", "0200"}};
    for (auto& [key, value] : fields) message.push_back(key, value);
    return encode_error(spec, Value(std::move(message)));
  };
  CHECK(refused({{"4", "1234567890123"}}) ==
        "flow: iso8583: field 4 (amount in fen / 交易金额): 13 digits, it takes at most 12");
  CHECK(refused({{"2", "62220212345678901234"}}) ==
        "flow: iso8583: field 2 (primary account number / 主账号): 20 digits are more than its maximum 19");
  CHECK(refused({{"3", "00A000"}}) ==
        "flow: iso8583: field 3 (processing code / 交易处理码): '00A000' is not numeric (character 3)");
  CHECK(refused({{"4", std::int64_t{-5}}}) ==
        "flow: iso8583: field 4 (amount in fen / 交易金额): expected a string, got integer");
  CHECK(refused({{"4", 1.5}}) == "flow: iso8583: field 4 (amount in fen / 交易金额): expected a string, got number");
  CHECK(refused({{"52", "ABC"}}) ==
        "flow: iso8583: field 52 (PIN block / 个人标识码数据): odd number of hex digits (3)");
  CHECK(refused({{"52", "0102"}}) ==
        "flow: iso8583: field 52 (PIN block / 个人标识码数据): 2 bytes, it takes exactly 8");
  CHECK(refused({{"64", "XY"}}) == "flow: iso8583: field 64 (MAC / 报文鉴别码): 'XY' is not hex (character 1)");
  CHECK(refused({{"41", std::string(9, 'T')}}) ==
        "flow: iso8583: field 41 (terminal id / 受卡机终端标识码): 9 characters, it takes at most 8");
  CHECK(refused({{"35", "6222=28X"}}) ==
        "flow: iso8583: field 35 (track 2 / 2磁道数据): '6222=28X' is not allowed in type z (character 8)");
  CHECK(refused({{"foo", "1"}}) == "flow: iso8583: message: key 'foo' is not mti, a header or a field of this dialect");
  CHECK(refused({{"5", "1"}}) == "flow: iso8583: message: key '5' is not mti, a header or a field of this dialect");
  CHECK(refused({{"1", "00"}}) == "flow: iso8583: field 1: is the secondary bitmap, which the codec writes itself");
  CHECK(refused({{"3", "000000"}, {"003", "000000"}}) ==
        "flow: iso8583: field 3 (processing code / 交易处理码): given twice (as '003' and another key)");
  CHECK(refused({{"tpdu", "6000"}}) == "flow: iso8583: header tpdu: expected 10 hex digits");
  CHECK(refused({{"60", Value(Object{{"1", "22"}, {"3", "000"}})}}) ==
        "flow: iso8583: field 60.2 (batch number / 批次号): is missing, but a later subfield (3) is given");
  CHECK(refused({{"60", Value(Object{{"1", "223"}})}}) ==
        "flow: iso8583: field 60.1 (message type code / 交易类型码): 3 characters do not fit its 2");
  CHECK(
      refused({{"60", Value(Object{{"9", "1"}})}}) ==
      "flow: iso8583: field 60 (private: type, batch, network code / 自定义域): key '9' is not one of its 7 subfields");
  CHECK(refused({{"55", Value(Object{{"9F", "00"}})}}) ==
        "flow: iso8583: field 55 (IC card data, BER-TLV / IC卡数据域): '9F' is not a BER-TLV tag");
  CHECK(refused({{"55", Value(Object{{"9F26", "123"}})}}) ==
        "flow: iso8583: field 55 (IC card data, BER-TLV / IC卡数据域): tag 9F26: '123' is not hex with an even number "
        "of digits");

  CHECK(encode_error(spec, Value(Object{{"3", "000000"}})) ==
        "flow: iso8583: mti: missing (a string of 4 digits such as \"0200\")");
  CHECK(encode_error(spec, Value(Object{{"mti", "200"}})) == "flow: iso8583: mti: '200' is not 4 digits");
  CHECK(encode_error(spec, Value("0200")) ==
        "flow: iso8583: message: expected an object of mti and fields, got string");
  // A header without a default must be given.
  auto no_default = iso8583::parse_spec(
      "headers: [ { name: h, length: 2 } ]\nfields: { 3: { name: pc, type: n, length: 6 } }\n", "h.yaml");
  REQUIRE(no_default);
  CHECK(encode_error(*no_default, Value(Object{{"mti", "0800"}})) ==
        "flow: iso8583: header h: is missing and has no default");
}

TEST_CASE("spec files with mistakes are reported as file:line:col, all at once", "[iso8583][config]") {
  auto spec = iso8583::parse_spec(R"(description: test
mti: bcd
bitmap: hexx
fields:
  1: { name: x, type: b, length: 8 }
  2: { name: pan, type: n, length: 120, format: LLVAR }
  3: { name: pc, type: q, length: 6 }
  4: { name: amount, type: n, length: 12, colour: red }
  5: { name: five, type: an, length: 3, encoding: bcd }
  6: { name: six, type: n, length: 3, pad: right }
  x: { name: bad, type: n, length: 1 }
echo: [7]
colour: blue
)",
                                  "t.yaml");
  REQUIRE_FALSE(spec);
  CHECK(spec.error().kind == ErrorKind::config);
  CHECK(spec.error().message ==
        "t.yaml:13:1: iso8583: unknown key 'colour' (known: description, headers, mti, bitmap, defaults, fields, echo, "
        "mac_field, max_size, error_codes)\n"
        "t.yaml:3:9: iso8583: bitmap must be one of binary, hex, not 'hexx'\n"
        "t.yaml:5:3: iso8583: fields: field 1 is the secondary bitmap, which the codec handles\n"
        "t.yaml:6:36: iso8583: field 2: length must be between 1 and 99 for this length prefix\n"
        "t.yaml:7:24: iso8583: field 3: type must be one of n, a, an, ans, as, ns, anp, z, b, x+n, not 'q'\n"
        "t.yaml:8:43: iso8583 field 4: unknown key 'colour' (known: name, type, length, format, encoding, prefix, pad, "
        "fill, tlv, subfields, description)\n"
        "t.yaml:9:51: iso8583: field 5: type an cannot be encoded as bcd\n"
        "t.yaml:10:44: iso8583: field 6: pad applies to BCD data only\n"
        "t.yaml:11:3: iso8583: fields: 'x' is not a field number between 2 and 128\n"
        "t.yaml:12:8: iso8583: echo: field 7 is not defined");

  auto subfields = iso8583::parse_spec(R"(fields:
  60:
    name: p
    type: n
    length: 5
    subfields:
      - { name: a, length: 2 }
      - { name: b, type: an, length: 2 }
headers:
  - { name: tpdu, length: 4, tpdu: true }
  - { name: mti, length: 2, default: "0102030405" }
)",
                                       "s.yaml");
  REQUIRE_FALSE(subfields);
  CHECK(subfields.error().message ==
        "s.yaml:10:5: iso8583: header: a TPDU is 5 bytes\n"
        "s.yaml:11:13: iso8583: header: name 'mti' is taken (mti, field numbers) or empty\n"
        "s.yaml:11:38: iso8583: header: default must be 4 hex digits\n"
        "s.yaml:8:26: iso8583: subfield: the parts of an n field are n too\n"
        "s.yaml:7:7: iso8583: field 60 (p): the subfields add up to 4, the field is 5");

  CHECK(iso8583::load_argument("nope", "/srv/qiao").error().message ==
        "iso8583: no dialect 'nope' (looked for /srv/qiao/config/iso8583/nope.yaml)");
  CHECK(iso8583::load_argument("config/iso8583/missing.yaml", "/srv/qiao").error().message ==
        "/srv/qiao/config/iso8583/missing.yaml: cannot open file");
  CHECK(iso8583::load_argument("", "/srv/qiao").error().message ==
        "iso8583: name a dialect (iso8583:cup) or a spec file (iso8583:config/iso8583/cup.yaml)");
}

TEST_CASE("the codec is registered by name and takes a dialect name or a spec path", "[iso8583]") {
  iso8583::Iso8583CodecKind kind;
  CHECK(kind.name() == "iso8583");
  CHECK(kind.argument_key() == "spec");
  auto by_name = qiao::testing::make_codec("iso8583:cup", QIAO_SOURCE_DIR);
  auto by_path = qiao::testing::make_codec("iso8583:config/iso8583/cup.yaml", QIAO_SOURCE_DIR);
  auto by_key = qiao::testing::make_codec("iso8583:spec=cup", QIAO_SOURCE_DIR);
  REQUIRE(by_key);
  CHECK(qiao::testing::codec_error("iso8583", QIAO_SOURCE_DIR) == "codec iso8583: missing required key 'spec'");
  CHECK(qiao::testing::codec_error("iso8583:nope", "/srv/qiao") ==
        "codec iso8583: no dialect 'nope' (looked for /srv/qiao/config/iso8583/nope.yaml)");
  REQUIRE(by_name);
  REQUIRE(by_path);
  const std::string sale = read_hex("cup_sale_0200.hex");
  auto a = (*by_name)->decode(make_buffer(sale));
  auto b = (*by_path)->decode(make_buffer(sale));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK((*by_name)->content_type() == "application/octet-stream");
}

TEST_CASE("spec error_codes: defaults, the dialect's own, unknown kinds and codes field 39 cannot hold",
          "[iso8583][config]") {
  const std::string fields = "fields: { 3: { name: pc, type: n, length: 6 }, 39: { name: rc, type: an, length: 2 } }\n";
  auto plain = iso8583::parse_spec(fields, "t.yaml");
  REQUIRE(plain);
  CHECK(plain->error_codes == std::map<std::string, std::string, std::less<>>{{"bad_input", "30"},
                                                                              {"check_failed", "30"},
                                                                              {"too_large", "30"},
                                                                              {"timeout", "91"},
                                                                              {"unavailable", "91"},
                                                                              {"default", "96"}});
  auto own =
      iso8583::parse_spec(fields + "error_codes: { rejected: A0, default: \"06\", timeout: \"68\" }\n", "t.yaml");
  REQUIRE(own);
  CHECK(own->error_codes.at("rejected") == "A0");
  CHECK(own->error_codes.at("default") == "06");
  CHECK(own->error_codes.at("timeout") == "68");
  CHECK(own->error_codes.at("unavailable") == "91");

  auto wrong = iso8583::parse_spec(fields + "error_codes: { refused: \"30\", flow: \"961\" }\n", "t.yaml");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message ==
        "t.yaml:2:16: iso8583: error_codes: 'refused' is not an error kind (bad_input, check_failed, too_large, "
        "timeout, unavailable, upstream, flow, rejected, internal) or default\n"
        "t.yaml:2:37: iso8583: error_codes: flow: '961' is not 2 characters long, as field 39 is");
}
