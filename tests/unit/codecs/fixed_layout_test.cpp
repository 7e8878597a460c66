// Layout files of the fixed codec: what they accept, and every mistake reported as
// file:line:col, all of a file's mistakes at once.

#include <catch2/catch.hpp>
#include <string>

#include "codecs/fixed/fixed_codec.hpp"

using qiao::ErrorKind;
namespace fixed = qiao::fixed;

namespace {

const std::string source_dir = QIAO_SOURCE_DIR;

std::string layout_error(const std::string& yaml) {
  auto layout = fixed::parse_layout(yaml, "test.yaml");
  if (layout) FAIL("layout unexpectedly loaded");
  CHECK(layout.error().kind == ErrorKind::config);
  return layout.error().message;
}

fixed::Layout layout_ok(const std::string& yaml) {
  auto layout = fixed::parse_layout(yaml, "test.yaml");
  if (!layout) FAIL("layout failed: " << layout.error().message);
  return std::move(layout).value();
}

const std::string one_field = "record: { fields: [ { name: a, length: 2 } ] }\n";

}  // namespace

TEST_CASE("fixed layout: the shipped layouts load and describe themselves", "[fixed]") {
  for (const char* name : {"bank-statement-fixed.yaml", "insurer-request-fixed.yaml"}) {
    auto layout = fixed::load_layout(source_dir + "/config/layouts/" + name);
    INFO(name);
    REQUIRE(layout);
  }
  auto statement = *fixed::load_layout(source_dir + "/config/layouts/bank-statement-fixed.yaml");
  CHECK(statement.charset == "GBK");
  CHECK(statement.family == fixed::CharsetFamily::double_byte);
  CHECK(statement.terminator == fixed::Terminator::crlf);
  CHECK(statement.discriminator_offset == 0);
  CHECK(statement.discriminator_length == 2);
  REQUIRE(statement.header);
  CHECK(statement.header->length == 60);
  CHECK(statement.detail.length == 103);
  CHECK(statement.trailer->length == 37);
  const fixed::Field& amount = statement.detail.fields[5];
  CHECK(amount.name == "amount");
  CHECK(amount.offset == 52);
  CHECK(amount.type == fixed::FieldType::decimal);
  CHECK(amount.align == fixed::Align::right);
  CHECK(amount.pad == '0');
  CHECK(amount.sign == fixed::Sign::leading);
  CHECK(statement.detail.fields[0].default_value == std::optional<std::string>("D1"));  // the discriminator field
}

TEST_CASE("fixed layout: defaults by type, discriminator by field", "[fixed]") {
  const auto layout = layout_ok(
      "discriminator: { field: kind }\n"
      "detail: { match: '01', fields: [ { name: kind, length: 2 }, { name: n, length: 3, type: integer },"
      " { name: d, length: 10, type: date, format: yyyyMMdd, align: right } ] }\n"
      "trailer: { match: '99', fields: [ { name: kind, length: 2 }, { name: count, length: 4, type: integer } ] }\n");
  CHECK(layout.discriminator_length == 2);
  CHECK(layout.terminator == fixed::Terminator::any);
  CHECK(layout.charset.empty());
  const auto& n = layout.detail.fields[1];
  CHECK((n.align == fixed::Align::right && n.pad == '0'));
  const auto& d = layout.detail.fields[2];
  CHECK((d.align == fixed::Align::right && d.pad == ' '));
  CHECK(layout.max_size == 64u << 20);
  CHECK(layout.max_records == 1'000'000u);
}

TEST_CASE("fixed layout: mistakes are reported with file, line and column", "[fixed]") {
  CHECK(layout_error("colour: red\n" + one_field)
            .rfind("test.yaml:1:1: fixed: unknown key 'colour' (known: description, charset,", 0) == 0);
  CHECK(layout_error("record: { fields: [ { name: a, length: 2, lenght: 3 } ] }\n")
            .rfind("test.yaml:1:43: fixed record field: unknown key 'lenght' (known: name, length,", 0) == 0);
  CHECK(layout_error("record: { fields: [ { name: a } ] }\n") ==
        "test.yaml:1:21: fixed record field: missing required key 'length'");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 2, type: money }\n") ==
        "test.yaml:3:35: fixed record field 'a': type must be string, integer, decimal or date, not 'money'");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 12, type: decimal }\n") ==
        "test.yaml:3:36: fixed record field 'a': a decimal field needs scale (digits after the point; 2 for amounts in "
        "fen)");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 2, scale: 2 }\n") ==
        "test.yaml:3:36: fixed record field 'a': scale applies to decimal fields only");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 2, pad: '**' }\n") ==
        "test.yaml:3:34: fixed record field 'a': pad must be one printable ASCII character, not '**'");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 2, type: integer, align: left }\n") ==
        "test.yaml:3:7: fixed record field 'a': a number padded with '0' must be right-aligned (left, its zeros would "
        "change the value)");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 2, sign: leading }\n") ==
        "test.yaml:3:35: fixed record field 'a': sign applies to integer and decimal fields only");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 1, type: integer, sign: trailing }\n") ==
        "test.yaml:3:50: fixed record field 'a': a field with a sign byte needs a length of at least 2");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 8, type: date }\n") ==
        "test.yaml:3:7: fixed record field 'a': a date field needs a format, e.g. yyyyMMdd");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 6, type: date, format: yyyyMMdd }\n") ==
        "test.yaml:3:26: fixed record field 'a': the format 'yyyyMMdd' needs 8 bytes, the field has 6");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 8, type: date, format: yyyyMMxx }\n") ==
        "test.yaml:3:49: fixed record field 'a': date format 'yyyyMMxx': use yyyy, MM, dd, HH, mm, ss (letters in "
        "quotes are literal)");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 2 }\n    - { name: a, length: 3 }\n") ==
        "test.yaml:4:15: fixed record field 'a': the record names it twice");
  CHECK(layout_error("record:\n  length: 6\n  fields:\n    - { name: a, length: 2 }\n") ==
        "test.yaml:2:11: fixed record: length is 6 but the fields add up to 2");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 0 }\n") ==
        "test.yaml:3:26: fixed record field 'a': length must be between 1 and 65536");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 2, truncate: true, type: integer }\n") ==
        "test.yaml:3:39: fixed record field 'a': truncate applies to string fields only");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 3, type: integer, default: 'x1' }\n") ==
        "test.yaml:3:53: fixed record field 'a': default: 'x1' is not an integer");
  CHECK(layout_error("record:\n  fields:\n    - { name: a, length: 3, default: 'abcd' }\n") ==
        "test.yaml:3:38: fixed record field 'a': default: 'abcd' is 4 bytes in UTF-8, the field holds 3");
  CHECK(layout_error("charset: EBCDIC-US\n" + one_field)
            .rfind("test.yaml:1:10: fixed: charset 'EBCDIC-US': fixed-length layouts support", 0) == 0);
  CHECK(layout_error("charset: NOPE-42\n" + one_field) ==
        "test.yaml:1:10: fixed: charset 'NOPE-42' is not a character set iconv knows");
  CHECK(layout_error("terminator: cr\n" + one_field) ==
        "test.yaml:1:13: fixed: terminator must be lf, crlf, any or none, not 'cr'");
  CHECK(layout_error("max_records: 0\n" + one_field) == "test.yaml:1:14: fixed: max_records must be more than 0");
}

TEST_CASE("fixed layout: record types and the discriminator", "[fixed]") {
  const std::string d = "detail: { match: D, fields: [ { name: kind, length: 1 }, { name: n, length: 2 } ] }\n";
  CHECK(layout_error("description: nothing\n") ==
        "test.yaml:1:1: fixed: a layout needs record (one record) or detail (with optional header and trailer)");
  CHECK(layout_error(one_field + "detail: { fields: [ { name: a, length: 2 } ] }\n") ==
        "test.yaml:1:9: fixed: a layout has either record (one record) or header/detail/trailer, not both");
  CHECK(layout_error("record: { match: X, fields: [ { name: a, length: 2 } ] }\n") ==
        "test.yaml:1:18: fixed record: a single-record layout has no match");
  CHECK(layout_error(d) ==
        "test.yaml:1:18: fixed: match needs a discriminator (records are otherwise told apart by position)");
  CHECK(layout_error("discriminator: { length: 1 }\ndetail: { fields: [ { name: a, length: 2 } ] }\n") ==
        "test.yaml:1:1: fixed detail: needs match (the discriminator's value)");
  CHECK(layout_error("discriminator: { length: 2 }\n" + d) ==
        "test.yaml:1:1: fixed detail: match 'D' is 1 bytes, the discriminator 2");
  CHECK(layout_error("discriminator: { start: 4, length: 1 }\n" + d) ==
        "test.yaml:1:1: fixed detail: the discriminator lies beyond the record's 3 bytes");
  CHECK(layout_error("discriminator: { length: 1 }\n" + d +
                     "trailer: { match: D, fields: [ { name: a, length: 2 } ] }\n") ==
        "test.yaml:1:1: fixed trailer: match 'D' is also the detail record's");
  CHECK(layout_error("discriminator: { field: kind }\n" + d +
                     "trailer: { match: T, fields: [ { name: b, length: 2 } ] }\n") ==
        "test.yaml:1:25: fixed discriminator: the trailer record has no field 'kind'");
  CHECK(layout_error("discriminator: { field: kind }\n" + d +
                     "trailer: { match: T, fields: [ { name: x, length: 1 }, { name: kind, length: 1 } ] }\n") ==
        "test.yaml:1:25: fixed discriminator: field 'kind' is not at the same place in every record");
  CHECK(layout_error("discriminator: { start: 0, length: 1 }\n" + d) ==
        "test.yaml:1:25: fixed discriminator: start counts from 1");
  CHECK(layout_error("discriminator: { start: 1 }\n" + d) ==
        "test.yaml:1:16: fixed discriminator: needs length (and start, default 1) or field");
  CHECK(layout_error("discriminator: { length: 1 }\n" + one_field) ==
        "test.yaml:1:16: fixed: a single-record layout has no discriminator");
  // Several mistakes come back together, one per line.
  const std::string several =
      layout_error("terminator: cr\nrecord:\n  fields:\n    - { name: a, length: 2, type: money }\n");
  CHECK(several ==
        "test.yaml:1:13: fixed: terminator must be lf, crlf, any or none, not 'cr'\n"
        "test.yaml:4:35: fixed record field 'a': type must be string, integer, decimal or date, not 'money'");
}
