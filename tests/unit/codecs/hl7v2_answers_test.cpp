// The hl7v2 codec's own answers (codecs/hl7v2/hl7_answers): the ACK a source sends on a flow's
// behalf, the verdict of a peer's ACK, MSH-10 and MSA-2 as ids; and the shortcut that writes an
// AA straight from the header's bytes, which must give exactly what make_ack and the encoder give.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "codecs/hl7v2/hl7_ack.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/hl7_path.hpp"
#include "core/protocol_answers.hpp"
#include "core/text/charset.hpp"
#include "tests/unit/codecs/hl7v2_test_support.hpp"

using qiao::Error;
using qiao::ErrorKind;
using qiao::Value;
namespace hl7 = qiao::hl7;
using qiao::hl7::testing::decode_ok;
using qiao::hl7::testing::read_data;

namespace {

hl7::AckOptions fixed_ids() {
  hl7::AckOptions options;
  options.control_id = "ACK0001";
  options.timestamp = "20261207150001";
  return options;
}

std::string first_line(const std::string& message) { return message.substr(0, message.find_first_of("\r\n")); }

// What the general path gives for an AA: the header decoded, the ACK built as a Value, encoded.
std::string general_accept_ack(const std::string& msh) {
  const Value header = decode_ok(msh + "\r");
  if (!hl7::ack_wanted(header, "AA")) return "";
  auto ack = hl7::make_ack(header, "AA", "", fixed_ids());
  if (!ack) FAIL("make_ack: " << ack.error().message);
  auto bytes = hl7::encode(*ack);
  if (!bytes) FAIL("encode: " << bytes.error().message);
  return *bytes;
}

std::string segment(const std::string& message, const std::string& id) {
  for (std::size_t at = 0; at < message.size();) {
    std::size_t end = message.find('\r', at);
    if (end == std::string::npos) end = message.size();
    if (message.compare(at, id.size() + 1, id + "|") == 0) return message.substr(at, end - at);
    at = end + 1;
  }
  return "";
}

}  // namespace

TEST_CASE("hl7 answers: the AA written from the header's bytes is the ACK make_ack builds", "[hl7v2][ack]") {
  std::vector<std::string> headers;
  for (const char* name : {"adt_a01_crlf.hl7", "adt_a01_enhanced.hl7", "adt_a01_utf8.hl7", "adt_a04.hl7", "adt_a08.hl7",
                           "custom_separators.hl7", "orm_o01.hl7", "oru_r01_utf8.hl7", "siu_s12.hl7"})
    headers.push_back(first_line(read_data(name)));
  const std::string base = "MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ADT^A04^ADT_A01|C42|P|2.5.1";
  headers.insert(headers.end(),
                 {
                     base,
                     base + "|||AL|NE",                                     // enhanced, commit ACK asked for: CA
                     base + "|||NE|AL",                                     // application ACK only: AA
                     base + "|||NE|NE",                                     // none wanted
                     base + "|||ER|ER",                                     // only on errors: none for a success
                     base + "|||SU",                                        // on success
                     base + "||||||UNICODE UTF-8",                          // MSH-18 kept, MSH-13 to 17 empty
                     "MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ORU|C43|P|2.3",  // no trigger: ACK alone
                     "MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ADT^A01",        // no MSH-10, MSH-11, MSH-12
                     "MSH|^~\\&|||||||ADT^A01|",
                     "MSH|^~\\&|HIS^1^ISO|HOSP&x|LIS|LAB|20261207||ADT^A01^ADT_A01~ADT^A04|C44|P^T|2.5^CHN",
                     "MSH|^~|HIS|HOSP|LIS|LAB|20261207||ADT^A01|C45|P|2.5",  // no escape or subcomponent separator
                 });
  int shortcut = 0;
  for (const std::string& msh : headers) {
    INFO(msh);
    auto direct = hl7::accept_ack_from_header(msh, "", fixed_ids());
    if (!direct) continue;
    ++shortcut;
    CHECK(*direct == general_accept_ack(msh));
  }
  CHECK(shortcut == int(headers.size()));  // the shortcut takes every one of these

  const std::string commit = *hl7::accept_ack_from_header(base + "|||AL|NE", "", fixed_ids());
  CHECK(segment(commit, "MSA") == "MSA|CA|C42");
  CHECK(hl7::accept_ack_from_header(base + "|||NE|NE", "", fixed_ids())->empty());
  CHECK(hl7::accept_ack_from_header(base + "|||ER|ER", "", fixed_ids())->empty());
}

TEST_CASE("hl7 answers: the shortcut leaves headers it cannot echo byte for byte to make_ack", "[hl7v2][ack]") {
  auto gbk = qiao::from_utf8("MSH|^~\\&|HIS|协和医院|LIS|LAB|20261207||ADT^A01|C1|P|2.5", "GBK");
  REQUIRE(gbk);
  CHECK_FALSE(hl7::accept_ack_from_header(*gbk));                                                          // GBK bytes
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~\\&|HIS|HOSP|LIS~2|LAB|20261207||ADT^A01|C1|P|2.5"));     // repetition
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~\\&|H\\T\\IS|HOSP|LIS|LAB|20261207||ADT^A01|C1|P|2.5"));  // escape
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~\\&|LIS|LAB|HIS|HOSP|20261207||ACK^A01^ACK|C1|P|2.5"));   // an ACK
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ADT^A01|C1|P|2.5|||AL^x"));
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~\\&|HIS|HOSP|LIS|LAB|2026\t1207||ADT^A01|C1|P|2.5"));
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~"));
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~\\&^|HIS"));  // MSH-2 the decoder refuses
  CHECK_FALSE(hl7::accept_ack_from_header(""));
  // A charset the decoder may not know, or one where ASCII bytes are not themselves.
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ADT^A01|C1|P|2.5||||||GB 18036-2000"));
  CHECK_FALSE(hl7::accept_ack_from_header("MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ADT^A01|C1|P|2.5", "UTF-16"));
  CHECK(hl7::accept_ack_from_header("MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ADT^A01|C1|P|2.5", "GBK"));
  CHECK(hl7::accept_ack_from_header("MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ADT^A01|C1|P|2.5||||||GB 18030-2000"));
}

TEST_CASE("hl7 answers: what an MLLP source sends for each outcome", "[hl7v2][ack]") {
  const hl7::Hl7Codec codec({});
  const qiao::ProtocolAnswers& answers = *codec.answers();
  CHECK(answers.acknowledges());
  const auto raw = qiao::make_buffer(std::string("MSH|^~\\&|HIS|HOSP|LIS|LAB|20261207||ADT^A04|C9|P|2.5\rPID|1||P1\r"));
  const std::string control_id = "C9";

  auto accepted = answers.answer(raw, nullptr);
  REQUIRE(accepted);
  CHECK(segment(*accepted, "MSA") == "MSA|AA|" + control_id);

  const Error rejected{ErrorKind::check_failed, "PID-3 is missing"};
  auto refused = answers.answer(raw, &rejected);
  REQUIRE(refused);
  CHECK(segment(*refused, "MSA") == "MSA|AR|" + control_id + "|PID-3 is missing");
  CHECK_THAT(segment(*refused, "ERR"), Catch::EndsWith("|PID-3 is missing"));

  const Error failed{ErrorKind::unavailable, "the LIS is down"};
  CHECK(segment(*answers.answer(raw, &failed), "MSA") == "MSA|AE|" + control_id + "|the LIS is down");

  // Bytes that are no message at all still hear why, in an ACK with the standard separators.
  const Error undecodable{ErrorKind::bad_input, "hl7v2: not a message"};
  auto broken = answers.answer(qiao::make_buffer(std::string("hello")), &undecodable);
  REQUIRE(broken);
  CHECK_THAT(*broken, Catch::StartsWith("MSH|^~\\&|") && Catch::Contains("MSA|AR||hl7v2: not a message"));

  // An acknowledgement is never acknowledged.
  const auto ack =
      qiao::make_buffer(std::string("MSH|^~\\&|LIS|LAB|HIS|HOSP|20261207||ACK^A04^ACK|A1|P|2.5\rMSA|AA|C1\r"));
  CHECK(answers.answer(ack, nullptr)->empty());
  CHECK(answers.answer(ack, &failed)->empty());
}

TEST_CASE("hl7 answers: a GBK message is acknowledged in GBK", "[hl7v2][ack]") {
  hl7::Options options;
  options.charset = "GBK";
  const hl7::Hl7Codec codec(options);
  const auto raw = qiao::make_buffer(read_data("adt_a01_gbk_no_msh18.hl7"));
  auto ack = codec.answers()->answer(raw, nullptr);
  REQUIRE(ack);
  auto decoded = codec.decode(qiao::make_buffer(*ack));
  REQUIRE(decoded);
  const Value message = decode_ok(*qiao::to_utf8(*raw, "GBK"));
  CHECK(hl7::text_at(*decoded, "MSH-3") == hl7::text_at(message, "MSH-5"));
  CHECK(hl7::text_at(*decoded, "MSH-5") == hl7::text_at(message, "MSH-3"));
  CHECK(hl7::text_at(*decoded, "MSA-2") == hl7::text_at(message, "MSH-10"));

  // A sending facility in Chinese: the general path decodes the GBK header and encodes the ACK in GBK.
  auto chinese = qiao::from_utf8("MSH|^~\\&|HIS|协和医院|LIS|检验科|20261207||ADT^A04|C7|P|2.5\rPID|1||P1\r", "GBK");
  REQUIRE(chinese);
  auto gbk_ack = codec.answers()->answer(qiao::make_buffer(*chinese), nullptr);
  REQUIRE(gbk_ack);
  auto gbk_decoded = codec.decode(qiao::make_buffer(*gbk_ack));
  REQUIRE(gbk_decoded);
  CHECK(hl7::text_at(*gbk_decoded, "MSH-4") == "检验科");
  CHECK(hl7::text_at(*gbk_decoded, "MSH-6") == "协和医院");
  CHECK(hl7::text_at(*gbk_decoded, "MSA-2") == "C7");
}

TEST_CASE("hl7 answers: a peer's ACK code decides the call", "[hl7v2][ack]") {
  const hl7::Hl7Codec codec({});
  const qiao::ProtocolAnswers& answers = *codec.answers();
  CHECK(answers.judges_replies());
  const std::string msh = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260101||ACK^A01^ACK|A9|P|2.5\r";
  CHECK(answers.verdict(decode_ok(msh + "MSA|AA|C1\r")));
  CHECK(answers.verdict(decode_ok(msh + "MSA|CA|C1\r")));
  auto ae = answers.verdict(decode_ok(msh + "MSA|AE|C1|patient not found\r"));
  REQUIRE_FALSE(ae);
  CHECK(ae.error().kind == ErrorKind::upstream);
  CHECK(ae.error().message == "HL7 AE: patient not found");
  CHECK_FALSE(ae.error().refused_by_peer);
  auto ar =
      answers.verdict(decode_ok(msh + "MSA|AR|C1\rERR|||207^Application internal error^HL70357|E||||database down\r"));
  REQUIRE_FALSE(ar);
  CHECK(ar.error().message == "HL7 AR: database down");
  CHECK(ar.error().refused_by_peer);
  auto coded = answers.verdict(decode_ok(msh + "MSA|CE|C1\rERR|||101^Required field missing^HL70357|E\r"));
  REQUIRE_FALSE(coded);
  CHECK(coded.error().message == "HL7 CE: 101 Required field missing");
  auto bare = answers.verdict(decode_ok(msh + "MSA|CR|C1\r"));
  REQUIRE_FALSE(bare);
  CHECK(bare.error().message == "HL7 CR");
  auto none = answers.verdict(decode_ok("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260101||ADT^A01|X|P|2.5\rPID|1\r"));
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "the reply is not an HL7 acknowledgement (no MSA-1)");

  CHECK(answers.id_fields() == "MSH-10/MSA-2");
  CHECK(answers.request_id(decode_ok(msh + "MSA|AA|C1\r")) == "A9");
  CHECK(answers.reply_id(decode_ok(msh + "MSA|AA|C1\r")) == "C1");
}
