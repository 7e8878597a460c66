// ACK building: original and enhanced mode, ERR by version, never acknowledging an ACK.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "codecs/hl7v2/hl7_ack.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/hl7_path.hpp"
#include "tests/unit/codecs/hl7v2_test_support.hpp"

using qiao::ErrorKind;
using qiao::Value;
namespace hl7 = qiao::hl7;
using qiao::hl7::testing::decode_ok;
using qiao::hl7::testing::read_data;

namespace {

std::string ack_bytes(const Value& message, const char* code, const char* text) {
  hl7::AckOptions options;
  options.control_id = "ACK0001";
  options.timestamp = "20261120083001";
  auto ack = hl7::make_ack(message, code, text, options);
  if (!ack) FAIL("ack: " << ack.error().message);
  auto bytes = hl7::encode(*ack);
  if (!bytes) FAIL("encode: " << bytes.error().message);
  return *bytes;
}

}  // namespace

TEST_CASE("hl7 ack: original mode", "[hl7v2]") {
  const Value oru = decode_ok(read_data("oru_r01_utf8.hl7"));
  CHECK(ack_bytes(oru, "AA", "") ==
        "MSH|^~\\&|HIS|HOSP01|LIS|LAB01|20261120083001||ACK^R01^ACK|ACK0001|P|2.5\r"
        "MSA|AA|LAB20261120001\r");
  CHECK(ack_bytes(oru, "AE", "PID-3 不存在 | unknown") ==
        "MSH|^~\\&|HIS|HOSP01|LIS|LAB01|20261120083001||ACK^R01^ACK|ACK0001|P|2.5\r"
        "MSA|AE|LAB20261120001|PID-3 不存在 \\F\\ unknown\r"
        "ERR|||207^Application internal error^HL70357|E||||PID-3 不存在 \\F\\ unknown\r");
  CHECK(ack_bytes(oru, "AR", "down") ==
        "MSH|^~\\&|HIS|HOSP01|LIS|LAB01|20261120083001||ACK^R01^ACK|ACK0001|P|2.5\r"
        "MSA|AR|LAB20261120001|down\r"
        "ERR|||207^Application internal error^HL70357|E||||down\r");
  // Original mode asked for a C* code still answers A*.
  CHECK(ack_bytes(oru, "CA", "").find("MSA|AA|") != std::string::npos);
  CHECK(hl7::ack_wanted(oru, "AA"));
  CHECK(hl7::ack_wanted(oru, "AE"));
}

TEST_CASE("hl7 ack: versions before 2.5 put the error in ERR-1, MSH-18 is kept", "[hl7v2]") {
  const Value adt = decode_ok(read_data("adt_a08.hl7"));
  CHECK(ack_bytes(adt, "AE", "bad") ==
        "MSH|^~\\&|LIS|LAB01|HIS|HOSP01|20261120083001||ACK^A08^ACK|ACK0001|P|2.4\r"
        "MSA|AE|MSG00003|bad\r"
        "ERR|^^^207&Application internal error&HL70357\r");
  const Value a04 = decode_ok(read_data("adt_a04.hl7"));
  hl7::AckOptions options;
  options.control_id = "X";
  options.timestamp = "T";
  options.error_code = "101";
  auto ack = hl7::make_ack(a04, "AR", "PID-5 missing", options);
  REQUIRE(ack);
  CHECK(*hl7::encode(*ack) ==
        "MSH|^~\\&|EMR|HOSP01|HIS|HOSP01|T||ACK^A04^ACK|X|P|2.5||||||UNICODE UTF-8\r"
        "MSA|CR|MSG00002|PID-5 missing\r"  // MSH-15 AL: enhanced mode
        "ERR|||101^Required field missing^HL70357|E||||PID-5 missing\r");
}

TEST_CASE("hl7 ack: enhanced mode", "[hl7v2]") {
  // MSH-15 AL / MSH-16 AL: the gateway's acknowledgement is a commit (accept) ACK.
  const Value enhanced = decode_ok(read_data("adt_a01_enhanced.hl7"));
  CHECK(hl7::enhanced_mode(enhanced));
  CHECK(ack_bytes(enhanced, "AA", "") ==
        "MSH|^~\\&|LIS|LAB01|HIS|HOSP01|20261120083001||ACK^A01^ACK|ACK0001|P|2.5||||||UNICODE UTF-8\r"
        "MSA|CA|MSG00013\r");
  CHECK(ack_bytes(enhanced, "AE", "x").find("MSA|CE|MSG00013|x\r") != std::string::npos);
  CHECK(ack_bytes(enhanced, "CR", "x").find("MSA|CR|MSG00013|x\r") != std::string::npos);

  // MSH-15 NE, MSH-16 AL: no accept ACK; the application ACK is AA/AE/AR.
  const Value app_only = decode_ok(read_data("adt_a01_utf8.hl7"));  // MSH-15 AL, MSH-16 NE
  CHECK(ack_bytes(app_only, "AA", "").find("MSA|CA|MSG00001") != std::string::npos);
  Value ne_al = app_only;
  REQUIRE(hl7::set(ne_al, "MSH-15", "NE"));
  REQUIRE(hl7::set(ne_al, "MSH-16", "AL"));
  CHECK(ack_bytes(ne_al, "AA", "").find("MSA|AA|MSG00001") != std::string::npos);
  CHECK(hl7::ack_wanted(ne_al, "AA"));

  // ack_wanted follows AL / NE / ER / SU.
  Value m = app_only;
  REQUIRE(hl7::set(m, "MSH-15", "ER"));
  CHECK_FALSE(hl7::ack_wanted(m, "AA"));
  CHECK(hl7::ack_wanted(m, "AE"));
  REQUIRE(hl7::set(m, "MSH-15", "SU"));
  CHECK(hl7::ack_wanted(m, "CA"));
  CHECK_FALSE(hl7::ack_wanted(m, "CR"));
  REQUIRE(hl7::set(m, "MSH-15", "NE"));
  REQUIRE(hl7::set(m, "MSH-16", "NE"));
  CHECK_FALSE(hl7::ack_wanted(m, "AA"));
  CHECK_FALSE(hl7::ack_wanted(m, "AE"));
}

TEST_CASE("hl7 ack: errors and generated ids", "[hl7v2]") {
  const Value oru = decode_ok(read_data("oru_r01_utf8.hl7"));
  auto ack = hl7::make_ack(oru, "AA", "");
  REQUIRE(ack);
  const std::string id = hl7::text_at(*ack, "MSH-10");
  CHECK(id.size() == 20);
  CHECK(hl7::text_at(*ack, "MSH-7").size() == 14);
  CHECK(hl7::text_at(*hl7::make_ack(oru, "AA", ""), "MSH-10") != id);
  CHECK(hl7::make_ack(*ack, "AA", "").error().message == "hl7: will not acknowledge an acknowledgement (MSH-9 is ACK)");
  CHECK(hl7::make_ack(oru, "OK", "").error().message ==
        "hl7: acknowledgement code must be AA, AE or AR (or CA, CE, CR), not 'OK'");
  CHECK(hl7::make_ack(Value("x"), "AA", "").error().kind == ErrorKind::flow);
  const Value no_msh(qiao::Object{{"segments", Value(qiao::Array{})}});
  CHECK(hl7::make_ack(no_msh, "AA", "").error().message == "hl7: cannot acknowledge a message without MSH");
}
