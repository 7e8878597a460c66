#include "codecs/delimited/delimited_codec.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "codecs/delimited/register.hpp"
#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/text/charset.hpp"
#include "core/value.hpp"
#include "tests/unit/codecs/codec_name_support.hpp"

using qiao::Array;
using qiao::Decimal;
using qiao::ErrorKind;
using qiao::Object;
using qiao::Value;
namespace delimited = qiao::delimited;

namespace {

const std::string source_dir = QIAO_SOURCE_DIR;

delimited::Options options(std::string_view argument) {
  return qiao::testing::codec_options<delimited::DelimitedCodec>("delimited:" + std::string(argument), source_dir);
}

std::string options_error(std::string_view argument) {
  return qiao::testing::codec_error("delimited:" + std::string(argument), source_dir);
}

Value decode_ok(std::string text, const delimited::Options& o) {
  auto decoded = delimited::decode(qiao::make_buffer(std::move(text)), o);
  if (!decoded) FAIL("decode failed: " << decoded.error().message);
  return std::move(decoded).value();
}

std::string decode_error(std::string text, const delimited::Options& o, ErrorKind kind = ErrorKind::bad_input) {
  auto decoded = delimited::decode(qiao::make_buffer(std::move(text)), o);
  if (decoded) FAIL("decode unexpectedly succeeded");
  CHECK(decoded.error().kind == kind);
  return decoded.error().message;
}

std::string encode_ok(const Value& v, const delimited::Options& o) {
  auto encoded = delimited::encode(v, o);
  if (!encoded) FAIL("encode failed: " << encoded.error().message);
  return std::move(encoded).value();
}

std::string encode_error(const Value& v, const delimited::Options& o) {
  auto encoded = delimited::encode(v, o);
  if (encoded) FAIL("encode unexpectedly succeeded: " << *encoded);
  CHECK(encoded.error().kind == ErrorKind::flow);
  return encoded.error().message;
}

std::string read_file(const std::string& relative) {
  std::ifstream in(source_dir + "/" + relative, std::ios::binary);
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

const Array& records(const Value& v) { return v.find("records")->as_array(); }

// A layout written to a temporary file, for the layout error tests.
struct TempLayout {
  std::filesystem::path path;
  explicit TempLayout(const std::string& yaml) {
    path = std::filesystem::temp_directory_path() /
           ("delimited-layout-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".yaml");
    std::ofstream(path) << yaml;
  }
  ~TempLayout() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("delimited kind: name, registration, inline and layout arguments", "[codec][delimited]") {
  qiao::Plugins plugins;
  REQUIRE(delimited::register_plugins(plugins));
  const qiao::CodecKind* kind = plugins.codecs.find("delimited");
  REQUIRE(kind);
  CHECK_FALSE(kind->description().empty());

  CHECK(kind->argument_key() == "layout");
  auto csv = qiao::testing::make_codec("delimited", source_dir);
  REQUIRE(csv);
  CHECK((*csv)->content_type() == "text/csv");
  auto decoded = (*csv)->decode(qiao::make_buffer("a,b\r\n1,2\r\n"));
  REQUIRE(decoded);
  CHECK(*decoded == Value(Object{{"records", Array{Array{"a", "b"}, Array{"1", "2"}}}}));
  auto encoded = (*csv)->encode(*decoded);
  REQUIRE(encoded);
  CHECK(*encoded == "a,b\r\n1,2\r\n");

  auto pipe = qiao::testing::make_codec("delimited:delimiter=|,header=true,terminator=lf", source_dir);
  REQUIRE(pipe);
  CHECK((*pipe)->content_type() == "text/plain");
  auto piped = (*pipe)->decode(qiao::make_buffer("id|name\n1|张三\n"));
  REQUIRE(piped);
  CHECK(*piped ==
        Value(Object{{"header", Array{"id", "name"}}, {"records", Array{Object{{"id", "1"}, {"name", "张三"}}}}}));

  auto layout = qiao::testing::make_codec("delimited:config/layouts/bank-statement.yaml", source_dir);
  REQUIRE(layout);
  auto bad = qiao::testing::make_codec("delimited:config/layouts/missing.yaml", source_dir);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::config);
  CHECK(bad.error().message == "codec delimited: " + source_dir + "/config/layouts/missing.yaml: cannot open file");
}

TEST_CASE("delimited options: inline values, names for awkward characters, overrides of a layout",
          "[codec][delimited]") {
  auto o = options(
      "delimiter=semicolon,quote=none,escape=\\,header=yes,terminator=crlf,trailing_delimiter=true,charset=gbk,"
      "strict=false,trim=true,skip_empty_lines=false,max_size=1KiB,max_records=10,max_fields=5");
  CHECK(o.delimiter == ';');
  CHECK(options("delimiter=tab").delimiter == '\t');
  CHECK(o.quote == delimited::no_char);
  CHECK(o.escape == '\\');
  CHECK(o.header);
  CHECK(o.terminator == delimited::Terminator::crlf);
  CHECK(o.trailing_delimiter);
  CHECK(o.charset == "GBK");
  CHECK_FALSE(o.strict);
  CHECK(o.trim);
  CHECK_FALSE(o.skip_empty_lines);
  CHECK(o.max_size == 1024);
  CHECK(o.max_records == 10);
  CHECK(o.max_fields == 5);
  CHECK(options("delimiter=comma").delimiter == ',');
  CHECK(options("delimiter=pipe").delimiter == '|');
  CHECK(options("delimiter=;").delimiter == ';');

  auto layered = options("layout=config/layouts/bank-statement.yaml,charset=UTF-8,strict=false");
  CHECK(layered.delimiter == '|');
  CHECK(layered.columns.size() == 10);
  CHECK(layered.charset.empty());
  CHECK_FALSE(layered.strict);

  CHECK(options_error("delimiter=|,colour=red") ==
        "codec delimited: unknown key 'colour' (known: layout, delimiter, quote, escape, header, terminator, "
        "trailing_delimiter, charset, strict, trim, skip_empty_lines, max_size, max_records, max_fields, columns)");
  CHECK(options_error("columns=id;;amount") ==
        "codec delimited: columns: a column name is empty (write columns=id;name;amount)");
  CHECK(options_error("columns=id;name;id") == "codec delimited: columns: duplicate name 'id'");
  CHECK(options_error("delimiter=||") ==
        "codec delimited: delimiter: expected one character (or comma, pipe, tab, semicolon, space), got '||'");
  CHECK(options_error("delimiter=|,header") == "codec delimited: option 'header' needs a value (write header=…)");
  CHECK(options_error("header=maybe") == "codec delimited: header: expected true or false, found 'maybe'");
  CHECK(options_error("terminator=nl") == "codec delimited: terminator: expected lf, crlf, cr or any, got 'nl'");
  CHECK(options_error("charset=KLINGON-8") ==
        "codec delimited: charset: 'KLINGON-8' is not a character set iconv knows");
  CHECK(options_error("max_records=0") == "codec delimited: max_records must be more than 0");
  CHECK(options_error("delimiter=\",quote=\"") ==
        "codec delimited: the quote and the delimiter are the same character");
  CHECK(options_error("delimiter=space,trim=true") ==
        "codec delimited: trim cannot be used with a space or tab delimiter");
}

TEST_CASE("delimited layout file errors come out as file:line:col", "[codec][delimited]") {
  TempLayout layout(
      "delimiter: \"|\"\n"
      "colour: red\n"
      "header: perhaps\n"
      "columns:\n"
      "  - { name: a, type: money }\n"
      "  - { name: b, type: decimal, scale: 2, format: yyyy }\n"
      "  - { name: c, type: date, format: YYYYMMDD }\n"
      "  - { name: a }\n"
      "  - { type: string, width: 3 }\n");
  auto loaded = delimited::load_layout(layout.path.string());
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().kind == ErrorKind::config);
  const std::string f = layout.path.string();
  const std::string expected =
      f +
      ":2:1: delimited: unknown key 'colour' (known: layout, delimiter, quote, escape, header, terminator, "
      "trailing_delimiter, charset, strict, trim, skip_empty_lines, max_size, max_records, max_fields, columns)\n" +
      f + ":3:9: delimited: header: expected true or false, found 'perhaps'\n" + f +
      ":5:22: delimited column: type must be string, integer, decimal or date, not 'money'\n" + f +
      ":6:49: delimited column: format applies to date columns only\n" + f +
      ":7:36: delimited column 'c': date format 'YYYYMMDD': use yyyy, MM, dd, HH, mm, ss (letters in quotes are "
      "literal)\n" +
      f + ":8:13: delimited column: duplicate name 'a'\n" + f +
      ":9:21: delimited column: unknown key 'width' (known: name, type, required, scale, format, description)\n" + f +
      ":9:5: delimited column: missing required key 'name'";
  CHECK(loaded.error().message == expected);

  TempLayout not_yaml("delimiter: [\n");
  auto broken = delimited::load_layout(not_yaml.path.string());
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message.rfind(not_yaml.path.string() + ":", 0) == 0);

  TempLayout no_columns("columns: []\n");
  auto empty = delimited::load_layout(no_columns.path.string());
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message == no_columns.path.string() + ":1:10: delimited: columns must list at least one column");

  TempLayout partial_date("columns:\n  - { name: d, type: date, format: yyyyMM }\n");
  auto partial = delimited::load_layout(partial_date.path.string());
  REQUIRE_FALSE(partial);
  CHECK(partial.error().message ==
        partial_date.path.string() + ":2:36: delimited column 'd': date format 'yyyyMM' needs all of yyyy, MM and dd");
}

TEST_CASE("delimited decode: the bank reconciliation statement (GBK, CRLF, trailing '|')", "[codec][delimited]") {
  const auto o = options("config/layouts/bank-statement.yaml");
  const std::string raw = read_file("tests/data/delimited/bank-statement-20261122.txt");
  const Value v = decode_ok(raw, o);
  CHECK(v.find("header") == nullptr);
  const Array& rs = records(v);
  REQUIRE(rs.size() == 5);
  CHECK(rs[0] == Value(Object{{"txnDate", "2026-11-22"},
                              {"txnTime", "08:30:15"},
                              {"bankSerial", "BK202611220000001"},
                              {"orderNo", "MZ20261122000123"},
                              {"cardNo", "621700******5678"},
                              {"txnType", "01"},
                              {"amount", Decimal{"63.50"}},
                              {"fee", Decimal{"0.19"}},
                              {"status", "00"},
                              {"remark", "挂号缴费"}}));
  CHECK(rs[1].find("remark")->as_string() == "门诊缴费 检验");
  CHECK(rs[2].find("fee")->is_null());  // optional decimal left empty
  CHECK(rs[3].find("amount")->as_decimal().text == "-12.50");
  CHECK(rs[4].find("txnTime")->as_string() == "23:59:59");
  CHECK(rs[4].find("remark")->as_string() == "余额不足");

  // Round trip: the same bytes come back, GBK and trailing delimiters included.
  CHECK(encode_ok(v, o) == raw);
}

TEST_CASE("delimited decode: the insurer's GBK CSV with Chinese names and RFC 4180 quoting", "[codec][delimited]") {
  const auto o = options("config/layouts/insurer-settlement.yaml");
  const std::string raw = read_file("tests/data/delimited/insurer-settlement-gbk.csv");
  const Value v = decode_ok(raw, o);
  CHECK(*v.find("header") == Value(Array{"结算流水号", "姓名", "身份证号", "就诊日期", "总金额", "统筹支付", "个人支付",
                                         "结算时间", "明细条数"}));
  const Array& rs = records(v);
  REQUIRE(rs.size() == 3);
  CHECK(rs[0] == Value(Object{{"settleNo", "YB2026112200001"},
                              {"patientName", "张三"},
                              {"idCard", "110101198002290011"},
                              {"visitDate", "2026-11-22"},
                              {"totalAmount", Decimal{"63.50"}},
                              {"fundPay", Decimal{"44.45"}},
                              {"selfPay", Decimal{"19.05"}},
                              {"settledAt", "2026-11-22T08:31:02"},
                              {"itemCount", 3}}));
  CHECK(rs[1].find("patientName")->as_string() == "欧阳,娜娜");
  CHECK(rs[2].find("patientName")->as_string() == "李\"小\"龙");
  CHECK(rs[2].find("itemCount")->is_null());
  CHECK(encode_ok(v, o) == raw);  // quoted exactly where needed, quotes doubled once
}

TEST_CASE("delimited decode: RFC 4180 corner cases", "[codec][delimited]") {
  const auto csv = options("");
  const auto strings = [&](std::string text) { return records(decode_ok(std::move(text), csv)); };

  CHECK(strings("a,\"b,c\",d") == Array{Array{"a", "b,c", "d"}});
  CHECK(strings("\"say \"\"hi\"\"\",x\r\n") == Array{Array{"say \"hi\"", "x"}});
  CHECK(strings("\"line1\r\nline2\",\"a\nb\"\r\nnext,row\r\n") ==
        Array{Array{"line1\r\nline2", "a\nb"}, Array{"next", "row"}});
  CHECK(strings("\"\",x") == Array{Array{"", "x"}});
  CHECK(strings(",\n,") == Array{Array{"", ""}, Array{"", ""}});
  CHECK(strings("a,b") == Array{Array{"a", "b"}});  // no terminator after the last record
  CHECK(strings("a\rb\nc\r\nd") == Array{Array{"a"}, Array{"b"}, Array{"c"}, Array{"d"}});
  CHECK(strings("\n\r\na,b\n\n") == Array{Array{"a", "b"}});            // empty lines skipped
  CHECK(strings("5'3\",x") == Array{Array{"5'3\"", "x"}});              // a quote inside an unquoted field is data
  CHECK(strings("\xEF\xBB\xBFid,name") == Array{Array{"id", "name"}});  // byte order mark
  CHECK(strings("") == Array{});

  // Long fields borrow from the buffer; values are equal either way.
  const Value v = decode_ok("0123456789abcdefghij,short", csv);
  CHECK(records(v)[0].as_array()[0].as_text().is_borrowed());
  CHECK_FALSE(records(v)[0].as_array()[1].as_text().is_borrowed());

  // Terminators other than any
  CHECK(records(decode_ok("a\rb\nc\r\n", options("terminator=lf"))) == Array{Array{"a\rb"}, Array{"c\r"}});
  CHECK(records(decode_ok("a\nb\r\nc", options("terminator=crlf"))) == Array{Array{"a\nb"}, Array{"c"}});
  CHECK(records(decode_ok("a\nb\rc", options("terminator=cr"))) == Array{Array{"a\nb"}, Array{"c"}});

  // Empty lines kept when asked
  CHECK(records(decode_ok("a\n\nb\n", options("skip_empty_lines=false"))) == Array{Array{"a"}, Array{""}, Array{"b"}});
}

TEST_CASE("delimited decode: escape, trim, trailing delimiter, header names", "[codec][delimited]") {
  CHECK(records(decode_ok("a\\|b|c\\\\d|\\\n|e\n", options("delimiter=|,quote=none,escape=\\,strict=false"))) ==
        Array{Array{"a|b", "c\\d", "\n", "e"}});
  CHECK(records(decode_ok("\"a\\\"b\",c\n", options("escape=\\"))) == Array{Array{"a\"b", "c"}});
  CHECK(records(decode_ok("  a  ,  \"b \"  ,c\t\n", options("trim=true"))) == Array{Array{"a", "b ", "c"}});
  CHECK(records(decode_ok("1|2|\n3|4|\n", options("delimiter=|,trailing_delimiter=true"))) ==
        Array{Array{"1", "2"}, Array{"3", "4"}});
  CHECK(records(decode_ok("1|2|\n3|4\n", options("delimiter=|,trailing_delimiter=true"))) ==
        Array{Array{"1", "2"}, Array{"3", "4"}});  // tolerated when absent
  // With named columns, one extra empty field at the end is a trailing delimiter even unasked.
  CHECK(decode_ok("id|name|\n7|王五|\n", options("delimiter=|,header=true")) ==
        Value(Object{{"header", Array{"id", "name"}}, {"records", Array{Object{{"id", "7"}, {"name", "王五"}}}}}));
  // Inline column names, without a layout file; they replace a layout's columns.
  const auto named = options("delimiter=|,columns=id;name;amount");
  const Value named_records = decode_ok("7|王五|12.50\n8|赵六|3\n", named);
  CHECK(records(named_records) == Array{Object{{"id", "7"}, {"name", "王五"}, {"amount", "12.50"}},
                                        Object{{"id", "8"}, {"name", "赵六"}, {"amount", "3"}}});
  CHECK(encode_ok(named_records, named) == "7|王五|12.50\r\n8|赵六|3\r\n");
  CHECK(decode_error("7|王五\n", named) == "delimited: line 1: 2 fields, expected 3");
  // Non-strict: short records fill with "", extra fields are dropped.
  CHECK(records(decode_ok("a,b,c\n1\n1,2,3,4\n", options("header=true,strict=false"))) ==
        Array{Object{{"a", "1"}, {"b", ""}, {"c", ""}}, Object{{"a", "1"}, {"b", "2"}, {"c", "3"}}});
}

TEST_CASE("delimited decode: typed columns", "[codec][delimited]") {
  TempLayout layout(
      "delimiter: \"|\"\n"
      "columns:\n"
      "  - { name: n, type: integer }\n"
      "  - { name: amount, type: decimal, scale: 2 }\n"
      "  - { name: rate, type: decimal }\n"
      "  - { name: at, type: date, format: \"yyyy/MM/dd'T'HH:mm\" }\n"
      "  - { name: code, required: true }\n");
  auto o = delimited::load_layout(layout.path.string());
  REQUIRE(o);
  CHECK(records(decode_ok("-42|12.5|0.125|2024/02/29T23:59|007\n+7|3|.5|2026/01/01T00:00|x\n", *o)) ==
        Array{Object{{"n", -42},
                     {"amount", Decimal{"12.50"}},
                     {"rate", Decimal{"0.125"}},
                     {"at", "2024-02-29T23:59:00"},
                     {"code", "007"}},
              Object{{"n", 7},
                     {"amount", Decimal{"3.00"}},
                     {"rate", Decimal{".5"}},
                     {"at", "2026-01-01T00:00:00"},
                     {"code", "x"}}});
  CHECK(records(decode_ok("||||c\n", *o)) ==
        Array{Object{{"n", nullptr}, {"amount", nullptr}, {"rate", nullptr}, {"at", nullptr}, {"code", "c"}}});

  CHECK(decode_error("1|2|3|2026/01/01T00:00|c\nx|2|3|2026/01/01T00:00|c\n", *o) ==
        "delimited: line 2, column 1 (n): 'x' is not an integer");
  CHECK(decode_error("99999999999999999999|2|3|2026/01/01T00:00|c\n", *o) ==
        "delimited: line 1, column 1 (n): '99999999999999999999' is out of the integer range");
  CHECK(decode_error("1|abc|3|2026/01/01T00:00|c\n", *o) ==
        "delimited: line 1, column 2 (amount): 'abc' is not a decimal");
  CHECK(decode_error("1|1.234|3|2026/01/01T00:00|c\n", *o) ==
        "delimited: line 1, column 2 (amount): '1.234' has more than 2 decimal places");
  CHECK(decode_error("1|1|1e5|2026/01/01T00:00|c\n", *o) ==
        "delimited: line 1, column 3 (rate): '1e5' is not a decimal");
  CHECK(decode_error("1|1|1|2026-01-01T00:00|c\n", *o) ==
        "delimited: line 1, column 4 (at): '2026-01-01T00:00' is not a date in the format yyyy/MM/dd'T'HH:mm");
  CHECK(decode_error("1|1|1|2025/02/29T00:00|c\n", *o) ==
        "delimited: line 1, column 4 (at): '2025/02/29T00:00' is not a valid date");
  CHECK(decode_error("1|1|1|2025/02/28T24:00|c\n", *o) ==
        "delimited: line 1, column 4 (at): '2025/02/28T24:00' is not a valid date");
  CHECK(decode_error("1|1|1|2025/02/28T00:00|\n", *o) ==
        "delimited: line 1, column 5 (code): the field is required but empty");
}

TEST_CASE("delimited decode: structural errors name the line and column", "[codec][delimited]") {
  const auto csv = options("");
  CHECK(decode_error("a,b\n1,\"open\n2,3\n", csv) == "delimited: line 2, column 2: unterminated quote");
  CHECK(decode_error("a,\"b\"c\n", csv) == "delimited: line 1, column 2: unexpected 'c' after the closing quote");
  CHECK(decode_error("\"a\nb\" ,c\n", csv) == "delimited: line 2, column 1: unexpected ' ' after the closing quote");
  CHECK(decode_error("a,b,c\n1,2\n", csv) == "delimited: line 2: 2 fields, expected 3");
  CHECK(decode_error("a,b\n\"x\ny\",1,2\n", csv) == "delimited: line 2: 3 fields, expected 2");
  CHECK(decode_error("a\\", options("escape=\\")) ==
        "delimited: line 1, column 1: the escape character ends the input");
  CHECK(decode_error("", options("header=true")) ==
        "delimited: the input is empty, but the first line should be a header row (header=true)");
  CHECK(decode_error("id,,name\n", options("header=true")) ==
        "delimited: line 1, column 2: the header row gives this column no name");
  CHECK(decode_error("id,name,id\n", options("header=true")) ==
        "delimited: line 1, column 3: the header row names 'id' twice");
  CHECK(decode_error("ok\n\xff\xfe\n", csv) ==
        "delimited: line 2: invalid UTF-8 at byte 3 (set charset, e.g. charset=GBK)");
  CHECK(decode_error("ok\n" + gbk("张三") + ",\x81\n", options("charset=GBK")) ==
        "delimited: line 2: truncated GBK sequence at byte 5 (counting from the start of the line)");

  // Limits
  CHECK(decode_error("a,b,c\n", options("max_size=5"), ErrorKind::too_large) ==
        "delimited: the input is 6 bytes, more than max_size (5)");
  CHECK(decode_error("a\nb\nc\n", options("max_records=2"), ErrorKind::too_large) ==
        "delimited: line 3: more than 2 records (max_records)");
  CHECK(decode_error("a,b,c,d\n", options("max_fields=3"), ErrorKind::too_large) ==
        "delimited: line 1: more than 3 fields (max_fields)");
  CHECK(decode_error("a,b,c,\n", options("max_fields=3"), ErrorKind::too_large) ==
        "delimited: line 1: more than 3 fields (max_fields)");
  // A trailing delimiter's empty field is not counted (found by fuzzing: a record of exactly
  // max_fields written back with its trailing delimiter must read again).
  CHECK(records(decode_ok("a|b|c|\nd|e|f\n", options("delimiter=|,trailing_delimiter=true,max_fields=3"))) ==
        Array{Array{"a", "b", "c"}, Array{"d", "e", "f"}});
  CHECK(decode_error("a|b|c|d|\n", options("delimiter=|,trailing_delimiter=true,max_fields=3"), ErrorKind::too_large) ==
        "delimited: line 1: more than 3 fields (max_fields)");
}

TEST_CASE("delimited encode: quoting only when needed, never twice", "[codec][delimited]") {
  const auto csv = options("");
  CHECK(encode_ok(Array{Array{"plain", "a,b", "say \"hi\"", "two\nlines", "", "\"already quoted\""}}, csv) ==
        "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\"\"\"already quoted\"\"\"\r\n");
  CHECK(encode_ok(Array{Array{""}}, csv) == "\"\"\r\n");  // a lone empty field is not an empty line
  CHECK(encode_ok(Array{Array{1, Decimal{"12.50"}, 2.5, nullptr}}, csv) == "1,12.50,2.5,\r\n");
  CHECK(encode_ok(Array{Array{"a|b", "c\\d"}}, options("delimiter=|,quote=none,escape=\\,terminator=lf")) ==
        "a\\|b|c\\\\d\n");
  CHECK(encode_ok(Array{Array{"x \"q\" \\"}}, options("escape=\\,terminator=lf")) == "\"x \\\"q\\\" \\\\\"\n");
  CHECK(encode_ok(Array{Array{" padded "}}, options("trim=true,terminator=lf")) == "\" padded \"\n");
  CHECK(encode_ok(Array{Array{"1", "2"}}, options("delimiter=|,trailing_delimiter=true,terminator=cr")) == "1|2|\r");

  // Object records: the header (or first record) orders the columns; missing keys are empty.
  const Value people(Object{{"header", Array{"id", "name"}},
                            {"records", Array{Object{{"name", "张三"}, {"id", 1}}, Object{{"id", 2}}}}});
  CHECK(encode_ok(people, options("header=true,terminator=lf")) == "id,name\n1,张三\n2,\n");
  CHECK(encode_ok(people, options("terminator=lf")) == "1,张三\n2,\n");
  CHECK(encode_ok(Array{Object{{"b", 1}, {"a", 2}}}, options("header=true,terminator=lf")) == "b,a\n1,2\n");
  CHECK(encode_ok(Object{{"records", Array{}}}, options("header=true")) == "");
}

TEST_CASE("delimited encode: types checked against the layout, GBK written", "[codec][delimited]") {
  const auto bank = options("config/layouts/bank-statement.yaml");
  Object record{{"txnDate", "2026-11-22"}, {"txnTime", "08:30:15"}, {"bankSerial", "BK1"},
                {"orderNo", "MZ1"},        {"amount", 12.5},        {"fee", 0},
                {"status", "00"},          {"remark", "退费"}};
  CHECK(encode_ok(Array{record}, bank) == gbk("20261122|083015|BK1|MZ1|||12.50|0.00|00|退费|\r\n"));

  const auto with = [&](std::string_view key, Value v) {
    Object changed = record;
    changed.set(key, std::move(v));
    return Value(Array{Value(changed), Value(record)});
  };
  CHECK(encode_error(with("amount", "abc"), bank) == "delimited: record 1, column 7 (amount): 'abc' is not a decimal");
  CHECK(encode_error(with("amount", Decimal{"1.005"}), bank) ==
        "delimited: record 1, column 7 (amount): '1.005' has more than 2 decimal places");
  CHECK(encode_error(with("amount", nullptr), bank) ==
        "delimited: record 1, column 7 (amount): the field is required but empty");
  CHECK(encode_error(with("txnDate", "20261122"), bank) ==
        "delimited: record 1, column 1 (txnDate): '20261122' is not a date in the form YYYY-MM-DD");
  CHECK(encode_error(with("txnDate", "2026-13-01"), bank) ==
        "delimited: record 1, column 1 (txnDate): '2026-13-01' is not a valid date");
  CHECK(encode_error(with("txnDate", 20261122), bank) ==
        "delimited: record 1, column 1 (txnDate): an integer cannot be written to a date column");
  CHECK(encode_error(with("remark", true), bank) ==
        "delimited: record 1, column 10 (remark): a boolean cannot be written to a string column");
  CHECK(encode_error(with("remark", Object{}), bank) ==
        "delimited: record 1, column 10 (remark): an object cannot be written to a string column");
  CHECK(encode_error(with("remark", "a|b"), bank) ==
        "delimited: record 1, column 10 (remark): 'a|b' needs quoting (a delimiter, line break or edge space, or an "
        "empty lone field), but quote and escape are both none");
  CHECK(encode_error(with("remark", "😀"), bank) ==
        "delimited: record 1, column 10 (remark): '😀' cannot be written in GBK");
  CHECK(encode_error(with("colour", "red"), bank) == "delimited: record 1: unknown column 'colour'");
  CHECK(encode_error(Array{Array{"1", "2"}}, bank) == "delimited: record 1: 2 fields, expected 10");

  const auto csv = options("");
  CHECK(encode_error(Value("text"), csv) ==
        "delimited: expected {header, records} or an array of records, not a string");
  CHECK(encode_error(Object{{"rows", Array{}}}, csv) ==
        "delimited: unknown key 'rows' (a delimited value is {header, records} or an array of records)");
  CHECK(encode_error(Object{{"header", Array{}}}, csv) == "delimited: the value has no records");
  CHECK(encode_error(Array{Array{"a"}, 5}, csv) == "delimited: record 2 must be an object or an array, not a integer");
  CHECK(encode_error(Array{Array{}}, csv) == "delimited: record 1 has no fields");
  CHECK(encode_error(Array{Array{"a"}}, options("header=true")) ==
        "delimited: header=true, but neither a header, a layout nor object records name the columns");
  CHECK(encode_error(Array{Array{"a", "b"}, Array{"c"}}, options("header=true")) != "");
}

TEST_CASE("delimited round trips: decode then encode gives back the bytes", "[codec][delimited]") {
  const auto csv = options("");
  for (const std::string text : {"a,b\r\n\"x,y\",\"q\"\"q\"\r\n", "\"multi\r\nline\",z\r\n", "\"\"\r\n", ",\r\n"}) {
    CHECK(encode_ok(decode_ok(text, csv), csv) == text);
  }
  const auto pipe = options("delimiter=|,header=true,trailing_delimiter=true,terminator=lf,charset=GBK");
  const std::string statement = gbk("日期|金额|备注|\n20261122|63.50|挂号|\n20261122|12.00||\n");
  CHECK(encode_ok(decode_ok(statement, pipe), pipe) == statement);
}
