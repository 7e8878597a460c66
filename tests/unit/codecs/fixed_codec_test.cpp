// The fixed codec on the shipped layouts (config/layouts/*-fixed.yaml) and the files in
// tests/data/fixed/: golden values, byte-exact round trips, and every bad-input and encode error
// with its exact text.

#include "codecs/fixed/fixed_codec.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "codecs/fixed/register.hpp"
#include "core/registry.hpp"
#include "core/text/charset.hpp"
#include "tests/unit/codecs/codec_name_support.hpp"

using qiao::Array;
using qiao::Decimal;
using qiao::ErrorKind;
using qiao::Object;
using qiao::Value;
namespace fixed = qiao::fixed;

namespace {

const std::string source_dir = QIAO_SOURCE_DIR;

fixed::Layout layout_file(const std::string& relative) {
  auto layout = fixed::load_layout(source_dir + "/" + relative);
  if (!layout) FAIL("layout failed: " << layout.error().message);
  return std::move(layout).value();
}

fixed::Layout layout_text(const std::string& yaml) {
  auto layout = fixed::parse_layout(yaml, "test.yaml");
  if (!layout) FAIL("layout failed: " << layout.error().message);
  return std::move(layout).value();
}

const fixed::Layout& statement_layout() {
  static const fixed::Layout layout = layout_file("config/layouts/bank-statement-fixed.yaml");
  return layout;
}

const fixed::Layout& insurer_layout() {
  static const fixed::Layout layout = layout_file("config/layouts/insurer-request-fixed.yaml");
  return layout;
}

std::string read_data(const std::string& name) {
  std::ifstream in(source_dir + "/tests/data/fixed/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string gbk(std::string_view utf8) {
  auto converted = qiao::from_utf8(utf8, "GBK");
  REQUIRE(converted);
  return *converted;
}

Value decode_ok(std::string bytes, const fixed::Layout& layout) {
  auto decoded = fixed::decode(qiao::make_buffer(std::move(bytes)), layout);
  if (!decoded) FAIL("decode failed: " << decoded.error().message);
  return std::move(decoded).value();
}

std::string decode_error(std::string bytes, const fixed::Layout& layout, ErrorKind kind = ErrorKind::bad_input) {
  auto decoded = fixed::decode(qiao::make_buffer(std::move(bytes)), layout);
  if (decoded) FAIL("decode unexpectedly succeeded");
  CHECK(decoded.error().kind == kind);
  return decoded.error().message;
}

std::string encode_ok(const Value& value, const fixed::Layout& layout) {
  auto encoded = fixed::encode(value, layout);
  if (!encoded) FAIL("encode failed: " << encoded.error().message);
  return std::move(encoded).value();
}

std::string encode_error(const Value& value, const fixed::Layout& layout) {
  auto encoded = fixed::encode(value, layout);
  if (encoded) FAIL("encode unexpectedly succeeded: " << *encoded);
  CHECK(encoded.error().kind == ErrorKind::flow);
  return encoded.error().message;
}

// The statement's records (lines without CRLF), to break one at a time.
std::vector<std::string> statement_lines() {
  const std::string text = read_data("bank-statement-20261122.txt");
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = text.find("\r\n", pos);
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  REQUIRE(lines.size() == 6);
  return lines;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\r\n";
  return out;
}

// A detail line of the statement layout with one field replaced (bytes, already in GBK).
std::string with_field(std::string line, std::size_t offset, std::string_view bytes) {
  return line.replace(offset, bytes.size(), bytes);
}

constexpr std::size_t amount_at = 52;  // 0-based offsets in the detail record
constexpr std::size_t payer_at = 73;

Value decimal(const char* text) { return Value(Decimal{text}); }

Value statement_detail(const char* serial, const char* amount) {
  return Object{
      {"txnDate", "2026-11-22"}, {"txnTime", "10:00:00"}, {"bankSerial", serial}, {"amount", decimal(amount)}};
}

}  // namespace

TEST_CASE("fixed: bank statement decodes to golden values (GBK names, implied decimals, signs)", "[fixed]") {
  const Value v = decode_ok(read_data("bank-statement-20261122.txt"), statement_layout());
  const Value header = Object{{"recordType", "H1"},
                              {"bankCode", "0102"},
                              {"merchantNo", "898110000012345"},
                              {"settleDate", "2026-11-22"},
                              {"createdAt", "2026-11-23T02:00:00"},
                              {"reserved", ""}};
  CHECK(*v.find("header") == header);
  const Array& details = v.find("details")->as_array();
  REQUIRE(details.size() == 4);
  CHECK(details[0] == Value(Object{{"recordType", "D1"},
                                   {"txnDate", "2026-11-22"},
                                   {"txnTime", "08:30:15"},
                                   {"bankSerial", "BK202611220000000001"},
                                   {"hisOrderNo", "HIS2026112200001"},
                                   {"amount", decimal("63.50")},
                                   {"fee", decimal("0.50")},
                                   {"payerName", "张三"},
                                   {"remark", "挂号缴费"}}));
  CHECK(*details[1].find("payerName") == Value("欧阳明月"));  // 8 bytes of GBK in a 20-byte field
  CHECK(*details[1].find("amount") == decimal("1280.00"));
  CHECK(*details[2].find("amount") == decimal("-63.50"));  // a refund: -000000006350
  CHECK(*details[2].find("fee") == decimal("0.00"));
  CHECK(*details[3].find("hisOrderNo") == Value(""));
  CHECK(details[3].find("fee")->is_null());  // a blank number is null, not zero
  CHECK(*details[3].find("payerName") == Value("LI Si"));
  CHECK(*v.find("trailer") == Value(Object{{"recordType", "T1"},
                                           {"recordCount", 4},
                                           {"totalAmount", decimal("1300.00")},
                                           {"totalFee", decimal("10.50")}}));
  // Key order is the layout's, and the top level is header, details, trailer.
  std::vector<std::string> keys;
  for (const auto& [key, member] : v.as_object()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"header", "details", "trailer"});
}

TEST_CASE("fixed: round trips give back the same bytes", "[fixed]") {
  const std::string statement = read_data("bank-statement-20261122.txt");
  CHECK(encode_ok(decode_ok(statement, statement_layout()), statement_layout()) == statement);
  const std::string request = read_data("insurer-request.bin");
  CHECK(encode_ok(decode_ok(request, insurer_layout()), insurer_layout()) == request);
}

TEST_CASE("fixed: single-record insurer request (explicit point, overpunch, zero-padded string)", "[fixed]") {
  const Value v = decode_ok(read_data("insurer-request.bin"), insurer_layout());
  CHECK(v == Value(Object{{"transCode", "2210"},
                          {"hospitalCode", "440100000001"},
                          {"operatorId", "OP001"},
                          {"transTime", "2026-11-22T09:30:00"},
                          {"patientName", "欧阳明月"},
                          {"idCardNo", "44010619800101123X"},
                          {"insuranceNo", "GD440100123456789"},
                          {"visitNo", "345"},
                          {"totalAmount", decimal("123.45")},
                          {"selfPay", decimal("38.60")},
                          {"items", 3},
                          {"adjustment", decimal("-1.21")}}));
  // A flow builds the request from its own values: numbers, doubles, strings; defaults fill in.
  const Value built = Object{{"transCode", "2210"},
                             {"hospitalCode", "440100000001"},
                             {"transTime", "2026-11-22 09:30:00"},
                             {"patientName", "王五"},
                             {"idCardNo", "44010619800101123X"},
                             {"visitNo", 7},
                             {"totalAmount", 63.5},
                             {"selfPay", "12.5"},
                             {"adjustment", 2}};
  CHECK(encode_ok(built, insurer_layout()) == "2210440100000001        20261122093000" + gbk("王五") +
                                                  std::string(16, ' ') + "44010619800101123X" + std::string(20, ' ') +
                                                  "000000000007" + "000000006350" + "     12.50" + "0001" + "00020{");
  // null is a blank field, so a decoded blank stays blank; only a missing field takes the default.
  Value with_null = built;
  with_null.as_object().set("items", nullptr);
  const std::string blank_items = encode_ok(with_null, insurer_layout());
  CHECK(blank_items.substr(130, 4) == "    ");
  CHECK(decode_ok(blank_items, insurer_layout()).find("items")->is_null());
}

TEST_CASE("fixed: encode builds a statement from a flow's values", "[fixed]") {
  Value detail = statement_detail("BK1", "-12");
  detail.as_object().set("payerName", "张三");
  detail.as_object().set("remark", "A挂号缴费挂号");  // 13 bytes in GBK; truncate cuts at a character
  const Value file = Object{
      {"header", Object{{"merchantNo", "898110000012345"}, {"settleDate", "2026-11-22"}}},
      {"details", Array{detail}},
      {"trailer", Object{{"recordCount", 1}, {"totalAmount", decimal("-12.00")}}},
  };
  const std::string encoded = encode_ok(file, statement_layout());
  const std::string expected =
      "H1    898110000012345"
      "20261122" +
      std::string(14 + 17, ' ') + "\r\n" +
      "D1"
      "20261122"
      "100000"
      "BK1" +
      std::string(17, ' ') + std::string(16, ' ') + "-000000001200" + std::string(8, ' ') + gbk("张三") +
      std::string(16, ' ') + gbk("A挂号缴费") + " " + "\r\n" +
      "T1"
      "00000001"
      "-00000000001200" +
      std::string(12, ' ') + "\r\n";
  CHECK(encoded == expected);
  const Value back = decode_ok(encoded, statement_layout());
  CHECK(*back.find("details")->as_array()[0].find("remark") == Value("A挂号缴费"));
}

TEST_CASE("fixed: bad input names the line, record, field and byte", "[fixed]") {
  const auto& layout = statement_layout();
  auto lines = statement_lines();
  const auto broken = [&](std::size_t index, std::string line) {
    auto copy = lines;
    copy[index] = std::move(line);
    return decode_error(join(copy), layout);
  };
  CHECK(broken(2, with_field(lines[2], 0, "X9")) ==
        "fixed: line 3: unknown record type 'X9' (bytes 1-2; expected 'H1' (header), 'D1' (detail), 'T1' (trailer))");
  CHECK(broken(1, lines[1].substr(0, 101)) == "fixed: line 2 record detail: 101 bytes, expected 103");
  CHECK(broken(1, lines[1] + "  ") == "fixed: line 2 record detail: 105 bytes, expected 103");
  CHECK(broken(1, "D") == "fixed: line 2: 1 bytes, too short to hold the record type (bytes 1-2)");
  CHECK(broken(1, with_field(lines[1], amount_at, "+0000000063a0")) ==
        "fixed: line 2 record detail field amount: '+0000000063a0' is not a number at byte 53");
  CHECK(broken(1, with_field(lines[1], amount_at, "0000000006350")) ==
        "fixed: line 2 record detail field amount: '0000000006350' has no sign in its first byte ('+', '-' or a space) "
        "at byte 53");
  CHECK(broken(1, with_field(lines[1], amount_at, "+" + gbk("金额") + "00000000")) ==
        "fixed: line 2 record detail field amount: '+金额00000000' is not a number at byte 53");
  CHECK(broken(1, with_field(lines[1], 2, "20261131")) ==
        "fixed: line 2 record detail field txnDate: '20261131' is not a valid date (yyyyMMdd) at byte 3");
  CHECK(broken(1, with_field(lines[1], 2, "2026-11-")) ==
        "fixed: line 2 record detail field txnDate: '2026-11-' is not a date in the format yyyyMMdd at byte 3");
  CHECK(broken(1, with_field(lines[1], 10, "256100")) ==
        "fixed: line 2 record detail field txnTime: '256100' is not a valid date (HHmmss) at byte 11");
  CHECK(broken(1, with_field(lines[1], 2, "        ")) ==
        "fixed: line 2 record detail field txnDate: the field is required but blank at byte 3");
  CHECK(broken(0, with_field(lines[0], 6, std::string(15, ' '))) ==
        "fixed: line 1 record header field merchantNo: the field is required but blank at byte 7");
  CHECK(broken(5, with_field(lines[5], 2, "0000000x")) ==
        "fixed: line 6 record trailer field recordCount: '0000000x' is not an integer at byte 3");
  CHECK(broken(5, with_field(lines[5], 2, "-0000004")) ==
        "fixed: line 6 record trailer field recordCount: '-0000004' is not an integer at byte 3");

  // A GBK character across a field boundary: payerName (bytes 74-93) holds nine characters and
  // one ASCII byte, so the tenth character starts on its last byte.
  CHECK(broken(1, with_field(lines[1], payer_at, gbk("张三李四王五赵六钱A孙") + "        ")) ==
        "fixed: line 2 record detail field payerName: the field ends inside a GBK character at byte 93 "
        "(the character is bytes 93-94)");
  CHECK(broken(1, with_field(lines[1], payer_at, "\x80")) ==
        "fixed: line 2 record detail field payerName: invalid GBK byte 0x80 at byte 74");
  CHECK(broken(1, with_field(lines[1], 102, "\xD5")) ==
        "fixed: line 2 record detail field remark: the record ends inside a GBK character at byte 103");

  CHECK(broken(1, with_field(lines[1], payer_at + 6, "\r")) ==
        "fixed: line 2 record detail field payerName: a line break (CR) at byte 80");

  // Record order and presence.
  CHECK(decode_error(join({lines[0], lines[1], lines[2]}), layout) ==
        "fixed: the input ends without the trailer record ('T1')");
  CHECK(decode_error(join({lines[0], lines[5], lines[1]}), layout) == "fixed: line 3: a record after the trailer");
  CHECK(decode_error(join({lines[1], lines[5]}), layout) ==
        "fixed: line 1: expected the header record ('H1') first, found the detail record");
  CHECK(decode_error(join({lines[0], lines[1], lines[0], lines[5]}), layout) ==
        "fixed: line 3: a header record after the first record");
  CHECK(decode_error("", layout) == "fixed: the input is empty; expected the header record");
  CHECK(decode_error("\r\n\r\n", layout) == "fixed: the input is empty; expected the header record");
  CHECK(decode_error(join({lines[0], "", lines[5]}), layout) == "fixed: line 2: empty line");
  CHECK(decode_error(lines[0] + "\n" + lines[5] + "\r\n", layout) ==
        "fixed: line 1: ends with LF alone (terminator: crlf)");
}

TEST_CASE("fixed: limits", "[fixed]") {
  const std::string yaml_base = "detail: { fields: [ { name: code, length: 3 } ] }\nterminator: lf\n";
  const auto limited = layout_text(yaml_base + "max_size: 8\nmax_records: 2\n");
  CHECK(decode_ok("abc\ndef\n", limited) ==
        Value(Object{{"details", Array{Object{{"code", "abc"}}, Object{{"code", "def"}}}}}));
  CHECK(decode_error("abc\ndef\nghi", limited, ErrorKind::too_large) ==
        "fixed: the input is 11 bytes, more than max_size (8)");
  const auto few = layout_text(yaml_base + "max_records: 2\n");
  CHECK(decode_error("abc\ndef\nghi", few, ErrorKind::too_large) == "fixed: line 3: more than 2 records (max_records)");
}

TEST_CASE("fixed: single-record errors", "[fixed]") {
  const auto& layout = insurer_layout();
  const std::string request = read_data("insurer-request.bin");
  CHECK(decode_error(request.substr(0, 139), layout) == "fixed: record: 139 bytes, expected 140");
  CHECK(decode_error(request + "X", layout) == "fixed: record: 141 bytes, expected 140");
  CHECK(decode_ok(request + "\r\n", layout) == decode_ok(request, layout));  // a final line break is not data
  std::string bad_overpunch = request;
  bad_overpunch.back() = 'Z';
  CHECK(decode_error(bad_overpunch, layout) == "fixed: record field adjustment: '00012Z' is not a number at byte 135");
  std::string bad_point = request;
  bad_point.replace(120, 10, "    38.605");
  CHECK(decode_error(bad_point, layout) ==
        "fixed: record field selfPay: '    38.605' has more than 2 decimal places at byte 121");
  bad_point.replace(120, 10, "      38.6");  // an explicit point is written with all its decimals
  CHECK(decode_error(bad_point, layout) ==
        "fixed: record field selfPay: '      38.6' is not a number with 2 decimal places at byte 121");
  bad_point.replace(120, 10, "     38.60");
  CHECK(*decode_ok(bad_point, layout).find("selfPay") == decimal("38.60"));
}

TEST_CASE("fixed: encode errors name the record and field", "[fixed]") {
  const auto& layout = statement_layout();
  const Value header = Object{{"merchantNo", "898110000012345"}, {"settleDate", "2026-11-22"}};
  const Value trailer = Object{{"recordCount", 1}};
  const auto with_detail = [&](Value detail) {
    return Value(Object{
        {"header", header}, {"details", Array{statement_detail("BK0", "1"), std::move(detail)}}, {"trailer", trailer}});
  };
  const auto detail_with = [&](const char* key, Value v) {
    Value d = statement_detail("BK1", "1.00");
    d.as_object().set(key, std::move(v));
    return with_detail(std::move(d));
  };
  CHECK(encode_error(detail_with("payerName", "欧阳明月欧阳明月欧阳明月"), layout) ==
        "fixed: detail 2 field payerName: '欧阳明月欧阳明月欧阳明月' is 24 bytes in GBK, the field holds 20");
  CHECK(encode_error(detail_with("payerName", "😀"), layout) ==
        "fixed: detail 2 field payerName: '😀' cannot be written in GBK");
  CHECK(encode_error(detail_with("payerName", true), layout) ==
        "fixed: detail 2 field payerName: a boolean cannot be written to a string field");
  CHECK(encode_error(detail_with("payerName", "a\nb"), layout) ==
        "fixed: detail 2 field payerName: 'a\\x0Ab' holds a line break, which would end the record");
  CHECK(encode_error(detail_with("amount", decimal("123456789012.34")), layout) ==
        "fixed: detail 2 field amount: '123456789012.34' needs 14 bytes, the field holds 12");
  CHECK(encode_error(detail_with("amount", "1.234"), layout) ==
        "fixed: detail 2 field amount: '1.234' has more than 2 decimal places");
  CHECK(encode_error(detail_with("amount", "12,00"), layout) ==
        "fixed: detail 2 field amount: '12,00' is not a number");
  CHECK(encode_error(detail_with("amount", Array{}), layout) ==
        "fixed: detail 2 field amount: an array cannot be written to a decimal field");
  CHECK(encode_error(detail_with("fee", -1), layout) ==
        "fixed: detail 2 field fee: '-1' is negative and the field has no sign (sign: none)");
  CHECK(encode_error(detail_with("txnDate", "2026/11/22"), layout) ==
        "fixed: detail 2 field txnDate: '2026/11/22' is not a date in the form YYYY-MM-DD");
  CHECK(encode_error(detail_with("txnDate", "2026-02-30"), layout) ==
        "fixed: detail 2 field txnDate: '2026-02-30' is not a valid date");
  CHECK(encode_error(detail_with("txnDate", 20261122), layout) ==
        "fixed: detail 2 field txnDate: a date field takes text such as 2026-11-22, not a value of type integer");
  CHECK(encode_error(detail_with("bankSerial", nullptr), layout) ==
        "fixed: detail 2 field bankSerial: the field is required");
  CHECK(encode_error(detail_with("colour", "red"), layout) == "fixed: detail 2: unknown field 'colour'");
  CHECK(encode_error(detail_with("recordType", "X1"), layout) ==
        "fixed: detail 2: bytes 1-2 are 'X1', not the detail record's 'D1'");
  CHECK(encode_error(with_detail(Value("D1")), layout) ==
        "fixed: detail 2: a record is an object of fields, not string");

  CHECK(encode_error(Object{{"details", Array{}}, {"trailer", trailer}}, layout) ==
        "fixed: the header record is missing (the layout declares one)");
  CHECK(encode_error(Object{{"header", header}, {"details", Array{}}}, layout) ==
        "fixed: the trailer record is missing (the layout declares one)");
  CHECK(encode_error(Object{{"header", header}, {"details", "x"}, {"trailer", trailer}}, layout) ==
        "fixed: details must be an array of records, not string");
  CHECK(encode_error(Object{{"header", header}, {"records", Array{}}, {"trailer", trailer}}, layout) ==
        "fixed: unknown key 'records' (expected header, details, trailer)");
  CHECK(encode_error(Array{}, layout) == "fixed: expected an object { header, details, trailer }, not array");
  CHECK(encode_error(Object{{"transCode", "12345"}}, insurer_layout()) ==
        "fixed: record field transCode: '12345' is 5 bytes in GBK, the field holds 4");
  // No details is a valid statement (a day without payments).
  CHECK(encode_ok(Object{{"header", header}, {"trailer", Object{{"recordCount", 0}}}}, layout).size() ==
        60 + 2 + 37 + 2);
}

TEST_CASE("fixed: UTF-8 and GB18030 fields never end inside a character", "[fixed]") {
  const auto utf8 =
      layout_text("terminator: none\nrecord: { fields: [ { name: a, length: 4 }, { name: b, length: 2 } ] }\n");
  // 张 is 3 bytes: bytes 3-5 of a 4-byte field.
  CHECK(decode_error("AB张X", utf8) ==
        "fixed: record field a: the field ends inside a UTF-8 character at byte 4 "
        "(the character is bytes 3-5)");
  CHECK(decode_ok("A张XY", utf8) == Value(Object{{"a", "A张"}, {"b", "XY"}}));
  CHECK(decode_error("A\xFFXYZW", utf8) == "fixed: record field a: invalid UTF-8 byte 0xFF at byte 2");
  CHECK(encode_ok(Object{{"a", "张"}, {"b", "é"}}, utf8) == "张 é");
  CHECK(encode_error(Object{{"a", "张三"}}, utf8) ==
        "fixed: record field a: '张三' is 6 bytes in UTF-8, the field holds 4");

  const auto gb18030 = layout_text(
      "charset: GB18030\nterminator: none\nrecord: { fields: [ { name: a, length: 5 }, { name: b, length: 3 } ] }\n");
  const std::string rare = *qiao::from_utf8("𠀀", "GB18030");  // U+20000: a four-byte sequence
  REQUIRE(rare.size() == 4);
  CHECK(decode_ok("A" + rare + "xyz", gb18030) == Value(Object{{"a", "A𠀀"}, {"b", "xyz"}}));
  CHECK(decode_error("AB" + rare + "yz", gb18030) ==
        "fixed: record field a: the field ends inside a GB18030 character at byte 5 (the character is bytes 3-6)");
  const Value truncated = Object{{"a", "AB𠀀"}};
  const auto cut = layout_text(
      "charset: GB18030\nterminator: none\nrecord: { fields: [ { name: a, length: 5, truncate: true } ] }\n");
  CHECK(encode_ok(truncated, cut) == "AB   ");  // the four-byte character does not fit whole: padded instead
}

TEST_CASE("fixed: records by position, and back-to-back records", "[fixed]") {
  const std::string fields = "fields: [ { name: kind, length: 1 }, { name: n, length: 3, type: integer } ]";
  const auto positional = layout_text("terminator: lf\nheader: { " + fields + " }\ndetail: { " + fields +
                                      " }\ntrailer: { fields: [ { name: count, length: 2, type: integer } ] }\n");
  const Value v = decode_ok("H001\nD002\nD003\n02\n", positional);
  CHECK(v == Value(Object{{"header", Object{{"kind", "H"}, {"n", 1}}},
                          {"details", Array{Object{{"kind", "D"}, {"n", 2}}, Object{{"kind", "D"}, {"n", 3}}}},
                          {"trailer", Object{{"count", 2}}}}));
  CHECK(encode_ok(v, positional) == "H001\nD002\nD003\n02\n");
  CHECK(decode_error("H001\n", positional) == "fixed: the input has 1 record; the layout needs a header and a trailer");

  const auto packed = layout_text(
      "terminator: none\ndiscriminator: { field: kind }\n"
      "header: { match: H, fields: [ { name: kind, length: 1 }, { name: date, length: 8, type: date, format: yyyyMMdd "
      "} ] }\n"
      "detail: { match: D, " +
      fields +
      " }\n"
      "trailer: { match: T, fields: [ { name: kind, length: 1 }, { name: count, length: 2, type: integer } ] }\n");
  const Value p = decode_ok("H20261122D001D002T02", packed);
  CHECK(p.find("details")->as_array().size() == 2);
  CHECK(*p.find("header")->find("date") == Value("2026-11-22"));
  CHECK(encode_ok(p, packed) == "H20261122D001D002T02");
  CHECK(decode_error("H20261122D001D0", packed) == "fixed: record 3 at offset 13 (detail): 2 bytes left, expected 4");
  CHECK(decode_error("H20261122X001", packed) ==
        "fixed: record 2 at offset 9: unknown record type 'X' (bytes 1-1; expected 'H' (header), 'D' (detail), 'T' "
        "(trailer))");
  CHECK(decode_error("H20261122D0x1T01", packed) ==
        "fixed: record 2 at offset 9 (detail) field n: '0x1' is not an integer at byte 2");

  const auto packed_positional = layout_text("terminator: none\ndetail: { " + fields + " }\n");
  CHECK(decode_ok("A001B002", packed_positional).find("details")->as_array().size() == 2);
  CHECK(decode_error("A001B00", packed_positional) ==
        "fixed: the input is 7 bytes, which is not whole details (4 bytes each)");
}

TEST_CASE("fixed: numbers in every sign position", "[fixed]") {
  const auto layout = layout_text(
      "terminator: none\nrecord:\n  fields:\n"
      "    - { name: lead,   length: 6, type: integer, sign: leading }\n"
      "    - { name: trail,  length: 6, type: decimal, scale: 2, sign: trailing }\n"
      "    - { name: minus,  length: 8, type: decimal, scale: 1, sign: minus, pad: ' ' }\n"
      "    - { name: punch,  length: 4, type: integer, sign: overpunch }\n"
      "    - { name: left,   length: 6, type: integer, align: left, pad: ' ', sign: minus }\n"
      "    - { name: zeros,  length: 6, type: decimal, scale: 2, sign: minus }\n");
  const std::string bytes = std::string("-00042") + "01234-" + "   -1250" + "004}" + "-7    " + "-00005";
  const Value v = decode_ok(bytes, layout);
  CHECK(v == Value(Object{{"lead", -42},
                          {"trail", decimal("-12.34")},
                          {"minus", decimal("-125.0")},
                          {"punch", -40},
                          {"left", -7},
                          {"zeros", decimal("-0.05")}}));
  CHECK(encode_ok(v, layout) == bytes);
  CHECK(encode_ok(
            Object{{"lead", 42}, {"trail", 0}, {"minus", 3.26}, {"punch", 9}, {"left", 0}, {"zeros", decimal("-0.00")}},
            layout) == std::string("+00042") + "00000+" + "      33" + "000I" + "0     " + "000000");
  CHECK(decode_ok(std::string(" 00042") + "00000 " + "      33" + "000I" + "0     " + "000000", layout)
            .find("lead")
            ->as_int() == 42);
}

TEST_CASE("fixed: the codec is registered by name and reads its layout relative to the config directory", "[fixed]") {
  qiao::Plugins plugins;
  REQUIRE(fixed::register_plugins(plugins));
  const auto* kind = plugins.codecs.find("fixed");
  REQUIRE(kind != nullptr);
  auto codec = qiao::testing::make_codec("fixed:config/layouts/bank-statement-fixed.yaml", source_dir);
  REQUIRE(codec);
  CHECK((*codec)->content_type() == "text/plain");
  auto decoded = (*codec)->decode(qiao::make_buffer(read_data("bank-statement-20261122.txt")));
  REQUIRE(decoded);
  CHECK(decoded->find("details")->as_array().size() == 4);
  CHECK(qiao::testing::codec_error("fixed", source_dir) == "codec fixed: missing required key 'layout'");
  auto missing = qiao::testing::make_codec("fixed:config/layouts/nope.yaml", source_dir);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::config);
  CHECK(missing.error().message == "codec fixed: " + source_dir + "/config/layouts/nope.yaml: cannot open file");
}
