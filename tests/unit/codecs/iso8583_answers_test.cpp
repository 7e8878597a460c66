// The iso8583 codec's own answer (what a tcp source sends when an ISO 8583 request's flow failed):
// the dialect's response with field 39 from its error_codes, built from what could be read of the
// request. A request that succeeded is the flow's to answer.

#include "codecs/iso8583/iso8583_answers.hpp"

#include <catch2/catch.hpp>

#include "core/protocol_answers.hpp"
#include "tests/unit/codecs/codec_name_support.hpp"
#include "tests/unit/codecs/iso8583_test_support.hpp"

using namespace qiao;
using namespace iso8583_test;

namespace {

Value answer(const iso8583::Spec& spec, const std::string& raw, ErrorKind kind) {
  const Error failure{kind, "failed"};
  auto bytes = iso8583::Iso8583Answers(spec).answer(make_buffer(raw), &failure);
  REQUIRE(bytes);
  REQUIRE_FALSE(bytes->empty());
  return decode_ok(spec, *bytes);
}

}  // namespace

TEST_CASE("iso8583 error answer: a UnionPay sale's 0210 with field 39 by error kind, A0 for a failed MAC check",
          "[iso8583]") {
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
  const std::string ascii_sale =
      "0200"
      "3020000000800000"
      "000000"
      "000000001250"
      "000123"
      "TERM0001";
  CHECK(answer(dialect("iso87ascii"), ascii_sale, ErrorKind::rejected).find("39")->as_string() == "96");
}

TEST_CASE("iso8583 error answer: a request cut short is answered from what was read, a response or no MTI not at all",
          "[iso8583]") {
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

  const iso8583::Iso8583Answers answers(spec);
  const Error flow_failed{ErrorKind::flow, "x"};
  const Error refused{ErrorKind::bad_input, "x"};
  CHECK(answers.answer(make_buffer(read_hex("cup_sale_0210.hex")), &flow_failed)->empty());
  CHECK(answers.answer(make_buffer(sale.substr(0, 12)), &refused)->empty());
  // No acknowledgement of its own: a sale that went through is answered by the flow's 0210.
  CHECK_FALSE(answers.acknowledges());
  CHECK(answers.answer(make_buffer(sale), nullptr)->empty());
  CHECK_FALSE(answers.judges_replies());
  CHECK(answers.id_fields().empty());
}

TEST_CASE("iso8583 error answer: the codec a flow decodes with gives it", "[iso8583]") {
  auto codec = qiao::testing::make_codec("iso8583:cup", QIAO_SOURCE_DIR);
  REQUIRE(codec);
  const ProtocolAnswers* answers = (*codec)->answers();
  REQUIRE(answers != nullptr);
  const Error unavailable{ErrorKind::unavailable, "the bank is down"};
  auto bytes = answers->answer(make_buffer(read_hex("cup_sale_0200.hex")), &unavailable);
  REQUIRE(bytes);
  CHECK(decode_ok(dialect("cup"), *bytes).find("39")->as_string() == "91");
}
