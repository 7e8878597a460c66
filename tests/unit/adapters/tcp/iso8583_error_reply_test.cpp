// The answer a tcp source gives for an ISO 8583 request whose flow failed: the dialect's response
// with field 39 from its error_codes, built from what could be read of the request.

#include <catch2/catch.hpp>

#include "adapters/tcp/source/iso8583_error_reply.hpp"
#include "tests/unit/codecs/iso8583_test_support.hpp"

using namespace qiao;
using namespace iso8583_test;

namespace {

Value answer(const iso8583::Spec& spec, const std::string& raw, ErrorKind kind) {
  const std::string bytes = tcp::iso8583_error_reply(spec, make_buffer(raw), Error{kind, "failed"});
  REQUIRE_FALSE(bytes.empty());
  return decode_ok(spec, bytes);
}

}  // namespace

TEST_CASE("iso8583 error answer: a UnionPay sale's 0210 with field 39 by error kind, A0 for a failed MAC check",
          "[iso8583][tcp]") {
  const auto& spec = dialect("cup");
  const std::string sale = read_hex("cup_sale_0200.hex");
  const Value refused = answer(spec, sale, ErrorKind::check_failed);
  CHECK(refused.find("mti")->as_string() == "0210");
  CHECK(refused.find("tpdu")->as_string() == "6000000006");  // back where it came from
  CHECK(refused.find("11")->as_string() == "000123");
  CHECK(refused.find("4")->as_string() == "000000012345");
  CHECK(refused.find("39")->as_string() == "30");
  CHECK(refused.find("64") == nullptr);
  CHECK(answer(spec, sale, ErrorKind::timeout).find("39")->as_string() == "91");
  CHECK(answer(spec, sale, ErrorKind::unavailable).find("39")->as_string() == "91");
  CHECK(answer(spec, sale, ErrorKind::upstream).find("39")->as_string() == "96");
  CHECK(answer(spec, sale, ErrorKind::rejected).find("39")->as_string() == "A0");  // cup.yaml's error_codes
  // Dialects without error_codes of their own answer with the defaults.
  const std::string ascii_sale = "0200" "3020000000800000" "000000" "000000001250" "000123" "TERM0001";
  CHECK(answer(dialect("iso87ascii"), ascii_sale, ErrorKind::rejected).find("39")->as_string() == "96");
}

TEST_CASE("iso8583 error answer: a request cut short is answered from what was read, a response or no MTI not at all",
          "[iso8583][tcp]") {
  const auto& spec = dialect("cup");
  const std::string sale = read_hex("cup_sale_0200.hex");
  // Cut inside field 14: the headers, MTI, 2, 3, 4 and 11 were read.
  iso8583::Layout layout;
  REQUIRE(iso8583::decode(make_buffer(sale), spec, &layout));
  std::size_t field14 = 0;
  for (const auto& span : layout.fields)
    if (span.field == 14) field14 = span.begin;
  REQUIRE(field14 > 0);
  const std::string cut = sale.substr(0, field14 + 1);
  REQUIRE_FALSE(iso8583::decode(make_buffer(cut), spec));
  const Value partial = answer(spec, cut, ErrorKind::bad_input);
  CHECK(partial.find("mti")->as_string() == "0210");
  CHECK(partial.find("11")->as_string() == "000123");
  CHECK(partial.find("39")->as_string() == "30");
  CHECK(partial.find("41") == nullptr);

  CHECK(tcp::iso8583_error_reply(spec, make_buffer(read_hex("cup_sale_0210.hex")), Error{ErrorKind::flow, "x"}).empty());
  CHECK(tcp::iso8583_error_reply(spec, make_buffer(sale.substr(0, 12)), Error{ErrorKind::bad_input, "x"}).empty());
}
