// The fixed codec through the real binary, as an integration engineer checks a bank file by hand:
// `qiao codec decode --codec fixed:LAYOUT < file`, and back.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(QIAO_SOURCE_DIR) + "/tests/data/fixed/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string statement_codec = "fixed:config/layouts/bank-statement-fixed.yaml";
const std::string insurer_codec = "fixed:config/layouts/insurer-request-fixed.yaml";

}  // namespace

TEST_CASE("qiao codec decodes a GBK bank statement with the fixed codec and encodes it back byte for byte",
          "[integration][e2e][codec][fixed]") {
  const std::string statement = read_data("bank-statement-20261122.txt");
  CommandResult decoded =
      run_command({QIAO_BINARY, "codec", "decode", "--codec", statement_codec}, statement, QIAO_SOURCE_DIR);
  INFO(decoded.output);
  REQUIRE(decoded.status == 0);
  CHECK(decoded.output.rfind(
            "{\"header\":{\"recordType\":\"H1\",\"bankCode\":\"0102\",\"merchantNo\":\"898110000012345\","
            "\"settleDate\":\"2026-11-22\",\"createdAt\":\"2026-11-23T02:00:00\",\"reserved\":\"\"},"
            "\"details\":[{\"recordType\":\"D1\",\"txnDate\":\"2026-11-22\",\"txnTime\":\"08:30:15\","
            "\"bankSerial\":\"BK202611220000000001\",\"hisOrderNo\":\"HIS2026112200001\",\"amount\":63.50,"
            "\"fee\":0.50,\"payerName\":\"张三\",\"remark\":\"挂号缴费\"},",
            0) == 0);
  CHECK(decoded.output.find(
            "\"trailer\":{\"recordType\":\"T1\",\"recordCount\":4,\"totalAmount\":1300.00,\"totalFee\":10.50}}") !=
        std::string::npos);

  CommandResult encoded =
      run_command({QIAO_BINARY, "codec", "encode", "--codec", statement_codec}, decoded.output, QIAO_SOURCE_DIR);
  REQUIRE(encoded.status == 0);
  CHECK(encoded.output == statement);
}

TEST_CASE("qiao codec round-trips a single-record insurer request and reports bad input",
          "[integration][e2e][codec][fixed]") {
  const std::string request = read_data("insurer-request.bin");
  CommandResult decoded =
      run_command({QIAO_BINARY, "codec", "decode", "--codec", insurer_codec}, request, QIAO_SOURCE_DIR);
  REQUIRE(decoded.status == 0);
  CHECK(decoded.output.find("\"patientName\":\"欧阳明月\"") != std::string::npos);
  CHECK(decoded.output.find("\"totalAmount\":123.45,\"selfPay\":38.60,\"items\":3,\"adjustment\":-1.21}") !=
        std::string::npos);
  CommandResult encoded =
      run_command({QIAO_BINARY, "codec", "encode", "--codec", insurer_codec}, decoded.output, QIAO_SOURCE_DIR);
  REQUIRE(encoded.status == 0);
  CHECK(encoded.output == request);

  CommandResult short_record =
      run_command({QIAO_BINARY, "codec", "decode", "--codec", insurer_codec}, request.substr(0, 100), QIAO_SOURCE_DIR);
  CHECK(short_record.status == 1);
  CHECK(short_record.output == "qiao codec: fixed: record: 100 bytes, expected 140\n");
  CommandResult too_long = run_command({QIAO_BINARY, "codec", "encode", "--codec", insurer_codec},
                                       "{\"transCode\":\"22100\"}", QIAO_SOURCE_DIR);
  CHECK(too_long.status == 1);
  CHECK(too_long.output == "qiao codec: fixed: record field transCode: '22100' is 5 bytes in GBK, the field holds 4\n");
  CommandResult bad_statement =
      run_command({QIAO_BINARY, "codec", "decode", "--codec", statement_codec}, "H1xx\r\n", QIAO_SOURCE_DIR);
  CHECK(bad_statement.status == 1);
  CHECK(bad_statement.output == "qiao codec: fixed: line 1 record header: 4 bytes, expected 60\n");
}
