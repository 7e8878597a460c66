// The hl7v2-xml codec through the real binary, as an integration engineer uses it by hand:
// `qiao codec decode --codec hl7v2-xml < msg.xml | qiao codec encode --codec hl7v2` gives back the
// ER7 message byte for byte, and both codecs show the same JSON for the same message.

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

std::string read_hl7_data(const std::string& name) {
  std::ifstream in(std::string(QIAO_SOURCE_DIR) + "/tests/data/hl7/" + name, std::ios::binary);
  if (!in) FAIL("missing test data " << name);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `qiao codec DIRECTION --codec SPEC` with `input` on stdin; fails the test unless it exits 0.
std::string codec(const std::string& direction, const std::string& spec, const std::string& input) {
  const CommandResult r = run_command({QIAO_BINARY, "codec", direction, "--codec", spec}, input);
  INFO("qiao codec " << direction << " --codec " << spec << ": " << r.output);
  REQUIRE(r.status == 0);
  return r.output;
}

}  // namespace

TEST_CASE("qiao codec: hl7v2-xml decoded and encoded as hl7v2 gives back the ER7 bytes",
          "[integration][e2e][codec][hl7v2-xml]") {
  struct Sample {
    const char* name;
    const char* er7_spec;
  };
  for (const Sample& sample :
       {Sample{"adt_a01_utf8.hl7", "hl7v2"}, Sample{"oru_r01_utf8.hl7", "hl7v2"}, Sample{"all_escapes.hl7", "hl7v2"},
        Sample{"custom_separators.hl7", "hl7v2"}, Sample{"batch.hl7", "hl7v2"}, Sample{"adt_a01_gb18030.hl7", "hl7v2"},
        Sample{"adt_a01_gbk_no_msh18.hl7", "hl7v2:charset=GBK"}}) {
    INFO(sample.name);
    const std::string er7 = read_hl7_data(sample.name);
    const std::string json = codec("decode", sample.er7_spec, er7);
    const std::string xml = codec("encode", "hl7v2-xml:indent=2", json);
    CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HL7", 0) == 0);
    const std::string json_from_xml = codec("decode", "hl7v2-xml", xml);
    CHECK(json_from_xml == json);
    CHECK(codec("encode", sample.er7_spec, json_from_xml) == er7);
  }
}

TEST_CASE("qiao codec: XML written by hand or by Mirth reads as its ER7 message",
          "[integration][e2e][codec][hl7v2-xml]") {
  CHECK(codec("encode", "hl7v2", codec("decode", "hl7v2-xml", read_hl7_data("adt_a01_utf8.xml"))) ==
        read_hl7_data("adt_a01_utf8.hl7"));
  CHECK(codec("encode", "hl7v2", codec("decode", "hl7v2-xml", read_hl7_data("oru_r01_mirth.xml"))) ==
        read_hl7_data("oru_r01_utf8.hl7"));
  // The XML in GBK: its declaration says so; MSH-18 still decides the ER7's charset (UTF-8).
  const std::string gbk =
      codec("encode", "hl7v2-xml:encoding=GBK", codec("decode", "hl7v2", read_hl7_data("adt_a01_utf8.hl7")));
  CHECK(gbk.rfind("<?xml version=\"1.0\" encoding=\"GBK\"?>", 0) == 0);
  CHECK(codec("encode", "hl7v2", codec("decode", "hl7v2-xml", gbk)) == read_hl7_data("adt_a01_utf8.hl7"));
}

TEST_CASE("qiao codec: hl7v2-xml errors say where", "[integration][e2e][codec][hl7v2-xml]") {
  const CommandResult wrong = run_command({QIAO_BINARY, "codec", "decode", "--codec", "hl7v2-xml"},
                                          "<HL7Message>\n  <MSH>\n    <MSH.1>|</MSH.1>\n    <MSH.2>^~\\&amp;</MSH.2>\n"
                                          "  </MSH>\n  <OBX>\n    <PID.5/>\n  </OBX>\n</HL7Message>\n");
  CHECK(wrong.status == 1);
  CHECK(wrong.output == "qiao codec: hl7v2-xml: <PID.5> inside <OBX>; expected <OBX.n> at line 7, column 6\n");
  const CommandResult option = run_command({QIAO_BINARY, "codec", "decode", "--codec", "hl7v2-xml:indent=x"}, "");
  CHECK(option.status == 2);
  CHECK(option.output == "qiao codec: codec hl7v2-xml: indent: expected an integer, found 'x'\n");
}
