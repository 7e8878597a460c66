// `qiao codec` with the iso8583 codec, as an integration engineer debugs a bank message by hand:
// hex in, JSON out, and back.

#include <catch2/catch.hpp>
#include <string>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

TEST_CASE("qiao codec decodes and encodes ISO 8583 as hex", "[integration][e2e][codec][iso8583]") {
  // A UnionPay sign-on (0800): trace number, terminal, merchant, field 60 with its subfields.
  const std::string sign_on_hex =
      "6000060000603100311003"
      "0800"
      "0020000000C00012"
      "000001"
      "3132333435363738"
      "383938333130303438313431323334"
      "0011000000010030"
      "0003303120";
  CommandResult decoded = run_command({QIAO_BINARY, "codec", "decode", "--codec", "iso8583:cup", "--hex"},
                                      sign_on_hex + "\n", QIAO_SOURCE_DIR);
  INFO(decoded.output);
  CHECK(decoded.status == 0);
  CHECK(decoded.output == R"({"mti":"0800","tpdu":"6000060000","header":"603100311003","11":"000001","41":"12345678",)"
                          R"("42":"898310048141234","60":{"1":"00","2":"000001","3":"003"},"63":"01 "})"
                          "\n");

  CommandResult encoded =
      run_command({QIAO_BINARY, "codec", "encode", "--codec", "iso8583:config/iso8583/cup.yaml", "--hex"},
                  decoded.output, QIAO_SOURCE_DIR);
  INFO(encoded.output);
  CHECK(encoded.status == 0);
  std::string upper = encoded.output;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(upper == sign_on_hex + "\n");

  CommandResult bad = run_command({QIAO_BINARY, "codec", "decode", "--codec", "iso8583:cup", "--hex"},
                                  sign_on_hex.substr(0, 42), QIAO_SOURCE_DIR);
  CHECK(bad.status == 1);
  CHECK(bad.output ==
        "qiao codec: iso8583: field 11 (POS trace number / 受卡方系统跟踪号): needs 3 bytes (6 digits), 0 left at byte "
        "21\n");

  CommandResult unknown =
      run_command({QIAO_BINARY, "codec", "decode", "--codec", "iso8583:nope", "--hex"}, "00", QIAO_SOURCE_DIR);
  CHECK(unknown.status == 2);
  CHECK(unknown.output == std::string("qiao codec: codec iso8583: no dialect 'nope' (looked for ") + QIAO_SOURCE_DIR +
                              "/config/iso8583/nope.yaml)\n");
}
