// The hl7v2-xml codec: every sample message goes ER7 → Value → XML → Value → ER7 unchanged,
// golden XML in Mirth's form, XML as Mirth writes it, text normalized as an ER7 round trip
// would, gaps and collapsed components, charsets, options, limits and every error text.
#include <catch2/catch.hpp>
#include <string>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"
#include "codecs/hl7v2_xml/register.hpp"
#include "codecs/json/json_codec.hpp"
#include "core/registry.hpp"
#include "tests/unit/codecs/codec_name_support.hpp"
#include "tests/unit/codecs/hl7v2_test_support.hpp"

using qiao::Array;
using qiao::ErrorKind;
using qiao::Object;
using qiao::Value;
namespace hl7 = qiao::hl7;
namespace hl7xml = qiao::hl7xml;
using qiao::hl7::testing::read_data;

namespace {

hl7xml::Options opts(const std::string& argument) {
  return qiao::testing::codec_options<hl7xml::Hl7XmlCodec>("hl7v2-xml:" + argument);
}

Value er7_decode(const std::string& bytes, const hl7::Options& options = {}) {
  auto v = hl7::decode(qiao::make_buffer(bytes), options);
  if (!v) FAIL("hl7v2 decode failed: " << v.error().message);
  return std::move(v).value();
}

std::string er7_encode(const Value& v, const hl7::Options& options = {}) {
  auto e = hl7::encode(v, options);
  if (!e) FAIL("hl7v2 encode failed: " << e.error().message);
  return std::move(e).value();
}

Value decode_ok(const std::string& xml, const hl7xml::Options& options = {}) {
  auto v = hl7xml::decode(qiao::make_buffer(xml), options);
  if (!v) FAIL("decode failed: " << v.error().message);
  return std::move(v).value();
}

std::string encode_ok(const Value& v, const hl7xml::Options& options = {}) {
  auto e = hl7xml::encode(v, options);
  if (!e) FAIL("encode failed: " << e.error().message);
  return std::move(e).value();
}

std::string decode_error_text(const std::string& xml, const hl7xml::Options& options = {}) {
  auto v = hl7xml::decode(qiao::make_buffer(xml), options);
  if (v) FAIL("decode unexpectedly succeeded: " << *qiao::json::encode(*v));
  CHECK(v.error().kind == ErrorKind::bad_input);
  return v.error().message;
}

std::string encode_error_text(const Value& v, const hl7xml::Options& options = {}) {
  auto e = hl7xml::encode(v, options);
  if (e) FAIL("encode unexpectedly succeeded: " << *e);
  CHECK(e.error().kind == ErrorKind::flow);
  return e.error().message;
}

std::string json(const Value& v) { return *qiao::json::encode(v); }

// A message in the XML form: the MSH every test needs, then `rest` (segments).
std::string message(const std::string& rest) {
  return "<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.3><MSH.3.1>HIS</MSH.3.1></MSH.3></MSH>" + rest +
         "</HL7Message>";
}
const std::string msh_er7 = "MSH|^~\\&|HIS\r";

const Value& fields_of(const Value& message, std::size_t segment) {
  return *message.find("segments")->as_array().at(segment).find("fields");
}

}  // namespace

TEST_CASE("hl7v2-xml: every sample message goes ER7 → XML → ER7 unchanged", "[hl7v2-xml]") {
  struct Sample {
    const char* name;
    hl7::Options er7;
  };
  hl7::Options gbk;
  gbk.charset = "GBK";
  for (const Sample& sample :
       {Sample{"adt_a01_utf8.hl7", {}}, Sample{"adt_a04.hl7", {}}, Sample{"adt_a08.hl7", {}}, Sample{"orm_o01.hl7", {}},
        Sample{"oru_r01_utf8.hl7", {}}, Sample{"siu_s12.hl7", {}}, Sample{"escapes.hl7", {}},
        Sample{"all_escapes.hl7", {}}, Sample{"custom_separators.hl7", {}}, Sample{"batch.hl7", {}},
        Sample{"adt_a01_gb18030.hl7", {}}, Sample{"adt_a01_enhanced.hl7", {}},
        Sample{"adt_a01_gbk_no_msh18.hl7", gbk}}) {
    for (const char* xml_options : {"", "indent=2", "indent=1,declaration=no", "encoding=GB18030"}) {
      INFO(sample.name << " with hl7v2-xml:" << xml_options);
      const std::string bytes = read_data(sample.name);
      const Value value = er7_decode(bytes, sample.er7);
      const std::string xml = encode_ok(value, opts(xml_options));
      const Value back = decode_ok(xml);
      CHECK(json(back) == json(value));
      CHECK(back == value);
      CHECK(er7_encode(back, sample.er7) == bytes);
    }
  }
}

TEST_CASE("hl7v2-xml: golden XML in Mirth's element-per-position form", "[hl7v2-xml]") {
  SECTION("a message") {
    const Value value = er7_decode(read_data("adt_a01_utf8.hl7"));
    CHECK(encode_ok(value, opts("indent=2")) == read_data("adt_a01_utf8.xml"));
    CHECK(decode_ok(read_data("adt_a01_utf8.xml")) == value);
  }
  SECTION("a batch") {
    const Value value = er7_decode(read_data("batch.hl7"));
    CHECK(encode_ok(value, opts("indent=2")) == read_data("batch.xml"));
    CHECK(decode_ok(read_data("batch.xml")) == value);
  }
  SECTION("compact: fields hold their first component even without components, empty ones are empty elements") {
    const Value value = er7_decode(msh_er7 + "PID|1||a^^b~c||x&y^z|p&q||\r");
    CHECK(encode_ok(value, opts("declaration=no")) ==
          "<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.3><MSH.3.1>HIS</MSH.3.1></MSH.3></MSH>"
          "<PID><PID.1><PID.1.1>1</PID.1.1></PID.1><PID.2/>"
          "<PID.3><PID.3.1>a</PID.3.1><PID.3.2/><PID.3.3>b</PID.3.3></PID.3><PID.3><PID.3.1>c</PID.3.1></PID.3><PID.4/>"
          "<PID.5><PID.5.1><PID.5.1.1>x</PID.5.1.1><PID.5.1.2>y</PID.5.1.2></PID.5.1><PID.5.2>z</PID.5.2></PID.5>"
          "<PID.6><PID.6.1><PID.6.1.1>p</PID.6.1.1><PID.6.1.2>q</PID.6.1.2></PID.6.1></PID.6><PID.7/><PID.8/></PID>"
          "</HL7Message>");
    CHECK(encode_ok(value).rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?><HL7Message>", 0) == 0);
  }
}

TEST_CASE("hl7v2-xml: XML as Mirth Connect writes it reads as the ER7 message", "[hl7v2-xml]") {
  // Tabs, CRLF, no declaration, and ER7 escapes kept in the text (\T\ where the Value has '&').
  const std::string mirth = read_data("oru_r01_mirth.xml");
  const std::string er7 = read_data("oru_r01_utf8.hl7");
  const Value value = decode_ok(mirth);
  CHECK(value == er7_decode(er7));
  CHECK(er7_encode(value) == er7);
}

TEST_CASE("hl7v2-xml: the Value is the one hl7v2 gives for the same message", "[hl7v2-xml]") {
  SECTION("a field of one plain component is a string; one component with subcomponents stays nested") {
    const Value v =
        decode_ok(message("<PID><PID.1><PID.1.1>1</PID.1.1></PID.1><PID.2>2</PID.2>"
                          "<PID.3><PID.3.1><PID.3.1.1>a</PID.3.1.1><PID.3.1.2>b</PID.3.1.2></PID.3.1></PID.3>"
                          "<PID.4><PID.4.1><PID.4.1.1>c</PID.4.1.1></PID.4.1><PID.4.2/></PID.4></PID>"));
    CHECK(v == er7_decode(msh_er7 + "PID|1|2|a&b|c^\r"));
    CHECK(fields_of(v, 1).as_array()[0] == Value("1"));
    CHECK(fields_of(v, 1).as_array()[2] == Value(Array{Value(Array{"a", "b"})}));
  }
  SECTION("positions left out are empty; trailing empty elements are kept") {
    const Value v =
        decode_ok(message("<PID><PID.3><PID.3.2>x</PID.3.2><PID.3.5/></PID.3><PID.7/></PID><ZZ1/><ZZ2><ZZ2.1/></ZZ2>"));
    CHECK(v == er7_decode(msh_er7 + "PID|||^x^^^||||\rZZ1\rZZ2|\r"));
  }
  SECTION("consecutive elements of one field are repetitions, empty ones included") {
    const Value v = decode_ok(
        message("<PID><PID.3>a</PID.3><PID.3/><PID.3><PID.3.1>b</PID.3.1><PID.3.2>c</PID.3.2></PID.3></PID>"));
    CHECK(fields_of(v, 1).as_array()[2] == Value(Object{{"rep", Value(Array{"a", "", Value(Array{"b", "c"})})}}));
    CHECK(v == er7_decode(msh_er7 + "PID|||a~~b^c\r"));
  }
  SECTION("text is what an ER7 round trip leaves: separators literal, escapes as written") {
    // Raw separators, a lone escape character, CR/LF (by reference and raw), and Mirth's \F\.
    const Value v =
        decode_ok(message("<NTE><NTE.1>a|b^c&amp;d~e</NTE.1><NTE.2>C:\\temp \\.br\\ \\E\\</NTE.2>"
                          "<NTE.3>x&#13;y\nz</NTE.3><NTE.4>p\\F\\q\\S\\r\\T\\s\\R\\t</NTE.4></NTE>"));
    const Array& f = fields_of(v, 1).as_array();
    CHECK(f[0] == Value("a|b^c&d~e"));
    CHECK(f[1] == Value("C:\\E\\temp \\.br\\ \\E\\"));
    CHECK(f[2] == Value("x\\X0D\\y\\X0A\\z"));
    CHECK(f[3] == Value("p|q^r&s~t"));
    CHECK(er7_decode(er7_encode(v)) == v);
  }
  SECTION("text in a message whose MSH-2 has no escape character") {
    const Value v = decode_ok(
        "<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2>^</MSH.2></MSH><NTE><NTE.1>a|b\\c~d</NTE.1></NTE></HL7Message>");
    CHECK(fields_of(v, 1).as_array()[0] == Value("a b\\c~d"));
    CHECK(er7_decode(er7_encode(v)) == v);
  }
  SECTION("pretty-printed: whitespace between elements is formatting, a leaf's text is kept exactly") {
    const Value v = decode_ok(
        "<?xml version=\"1.0\"?>\n<HL7Message>\n  <MSH>\n    <MSH.1>|</MSH.1>\n    <MSH.2>^~\\&amp;</MSH.2>\n"
        "  </MSH>\n  <NTE>\n    <NTE.1>  two spaces  </NTE.1>\n    <NTE.2>\n      <NTE.2.1> </NTE.2.1>\n"
        "      <NTE.2.2><![CDATA[<b>]]></NTE.2.2>\n    </NTE.2>\n  </NTE>\n</HL7Message>\n");
    CHECK(fields_of(v, 1) == Value(Array{"  two spaces  ", Value(Array{" ", "<b>"})}));
  }
  SECTION("one message in <HL7Batch> without header or trailer is that message, as in ER7") {
    const std::string one = message("<PID><PID.1>1</PID.1></PID>");
    CHECK(decode_ok("<HL7Batch>" + one + "</HL7Batch>") == decode_ok(one));
    const Value two = decode_ok("<HL7Batch>" + one + one + "</HL7Batch>");
    CHECK(two == er7_decode(msh_er7 + "PID|1\r" + msh_er7 + "PID|1\r"));
  }
  SECTION("attributes on the root (namespace declarations) are ignored") {
    CHECK(decode_ok("<HL7Message xmlns=\"urn:x\"><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH></HL7Message>") ==
          er7_decode("MSH|^~\\&\r"));
  }
}

TEST_CASE("hl7v2-xml: files of several batches, and the separators a trailer is read with", "[hl7v2-xml]") {
  const std::string fhs = "<FHS><FHS.1>|</FHS.1><FHS.2>^~\\&amp;</FHS.2><FHS.3>LAB</FHS.3></FHS>";
  const std::string bhs = "<BHS><BHS.1>|</BHS.1><BHS.2>^~\\&amp;</BHS.2></BHS>";
  const std::string one = message("<PID><PID.1>1</PID.1></PID>");
  const std::string file = "<HL7File>" + fhs + "<HL7Batch>" + bhs + one + one +
                           "<BTS><BTS.1>2</BTS.1></BTS></HL7Batch><HL7Batch>" + bhs + one +
                           "</HL7Batch><FTS><FTS.1>2</FTS.1></FTS></HL7File>";
  const Value v = decode_ok(file);
  CHECK(v.find("header")->as_array().size() == 1);
  REQUIRE(v.find("batches") != nullptr);
  const Array& batches = v.find("batches")->as_array();
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].find("messages")->as_array().size() == 2);
  CHECK(batches[0].find("trailer")->as_array().size() == 1);
  CHECK(batches[1].find("trailer")->as_array().empty());
  CHECK(v.find("trailer")->as_array().size() == 1);
  for (const char* options : {"", "indent=2"}) {
    const std::string xml = encode_ok(v, opts(options));
    CHECK(xml.find("<HL7File>") != std::string::npos);
    CHECK(decode_ok(xml) == v);
  }
  // One batch in a file is the batch shape with the file's envelope joined, as ER7 reads it.
  const Value joined = decode_ok("<HL7File>" + fhs + "<HL7Batch>" + bhs + one + "</HL7Batch><FTS/></HL7File>");
  CHECK(joined == decode_ok("<HL7Batch>" + fhs + bhs + one + "<FTS/></HL7Batch>"));
  CHECK(joined == er7_decode("FHS|^~\\&|LAB\rBHS|^~\\&\r" + msh_er7 + "PID|1\rFTS\r"));

  // BTS is read with the BHS's separators, FTS with the FHS's: a backslash is text under '$'.
  const Value trailers = decode_ok("<HL7Batch>" + fhs + "<BHS><BHS.1>!</BHS.1><BHS.2>@#$%</BHS.2></BHS>" + one +
                                   "<BTS><BTS.1>x\\y</BTS.1></BTS><FTS><FTS.1>x\\y</FTS.1></FTS></HL7Batch>");
  CHECK(fields_of(Value(Object{{"segments", *trailers.find("trailer")}}), 0) == Value(Array{"x\\y"}));
  CHECK(fields_of(Value(Object{{"segments", *trailers.find("trailer")}}), 1) == Value(Array{"x\\E\\y"}));

  // Encode checks what each envelope holds.
  Value bad = v;
  bad.as_object().find("batches")->as_array()[0].as_object().find("header")->as_array()[0] =
      *v.find("header")->as_array().begin();
  CHECK(encode_error_text(bad) == "hl7v2-xml: $.batches[0].header[0]: a batch header holds a BHS segment");
}

TEST_CASE("hl7v2-xml: charsets of the XML, never MSH-18", "[hl7v2-xml]") {
  const std::string er7 = read_data("adt_a01_utf8.hl7");
  const Value value = er7_decode(er7);
  SECTION("encoding=GBK writes and declares GBK; the declaration is what decode follows") {
    const std::string gbk = encode_ok(value, opts("encoding=GBK"));
    CHECK(gbk.rfind("<?xml version=\"1.0\" encoding=\"GBK\"?>", 0) == 0);
    CHECK(gbk.find("\xD5\xC5") != std::string::npos);  // 张 in GBK
    CHECK(decode_ok(gbk) == value);
    // MSH-18 still says UTF-8: hl7v2 writes the ER7 in UTF-8 whatever the XML was in.
    CHECK(er7_encode(decode_ok(gbk)) == er7);
  }
  SECTION("a document without a declaration is read in the encoding= option's charset") {
    std::string gbk = encode_ok(value, opts("encoding=GBK,declaration=no"));
    CHECK(decode_error_text(gbk).rfind("hl7v2-xml: invalid UTF-8 at line 1, column ", 0) == 0);
    CHECK(decode_ok(gbk, opts("encoding=GBK")) == value);
  }
  SECTION("a character the charset cannot hold") {
    const Value gb18030 = er7_decode(read_data("adt_a01_gb18030.hl7"));
    auto e = hl7xml::encode(gb18030, opts("encoding=GBK"));
    REQUIRE_FALSE(e);
    CHECK(e.error().kind == ErrorKind::flow);
    CHECK(e.error().message.rfind("hl7v2-xml: byte ", 0) == 0);
  }
  CHECK(decode_error_text("<?xml version=\"1.0\" encoding=\"KLINGON\"?><HL7Message/>") ==
        "hl7v2-xml: unsupported encoding \"KLINGON\" in the XML declaration");
}

TEST_CASE("hl7v2-xml: decode errors name the element and its line and column", "[hl7v2-xml]") {
  CHECK(decode_error_text("") == "hl7v2-xml: empty document");
  CHECK(decode_error_text(" \n") == "hl7v2-xml: empty document");
  CHECK(decode_error_text("<HL7Message><MSH></HL7Message>") == "hl7v2-xml: mismatched end tag at line 1, column 20");
  CHECK(decode_error_text("<HL7Message>\n<MSH>") == "hl7v2-xml: unexpected end of document at line 2, column 6");
  CHECK(decode_error_text("<HL7Message/><b/>") == "hl7v2-xml: a second root element <b> at line 1, column 15");
  CHECK(decode_error_text("<HL7Message/>x") == "hl7v2-xml: text outside the root element at line 1, column 14");
  CHECK(decode_error_text("<HL7Message>\x01</HL7Message>") == "hl7v2-xml: control character 0x01 at line 1, column 13");
  CHECK(decode_error_text("<Message/>") ==
        "hl7v2-xml: the root element is <Message>; expected <HL7Message>, <HL7Batch> or <HL7File> at line 1, column 2");
  CHECK(decode_error_text("<HL7Message/>") ==
        "hl7v2-xml: <HL7Message> holds no segments; a message starts with <MSH> at line 1, column 2");
  CHECK(decode_error_text("<HL7Message>\n  <PID/>\n</HL7Message>") ==
        "hl7v2-xml: a message starts with <MSH>, not <PID> at line 2, column 4");
  CHECK(decode_error_text(message("<pid/>")) ==
        "hl7v2-xml: <pid> is not a segment (three capital letters or digits) at line 1, column 101");
  CHECK(decode_error_text(message("<MSH/>")) ==
        "hl7v2-xml: a second <MSH> in one <HL7Message>; each message of a batch is its own <HL7Message> at line 1, "
        "column 101");
  CHECK(decode_error_text(message("<BTS/>")) ==
        "hl7v2-xml: <BTS> inside <HL7Message>; batch header and trailer segments belong in <HL7Batch>, around its "
        "<HL7Message> elements at line 1, column 101");
  CHECK(decode_error_text(message("x")) ==
        "hl7v2-xml: text inside <HL7Message>, where only segment elements belong at line 1, column 100");

  // Names against their parents.
  CHECK(decode_error_text(message("<OBX><PID.5/></OBX>")) ==
        "hl7v2-xml: <PID.5> inside <OBX>; expected <OBX.n> at line 1, column 106");
  CHECK(decode_error_text(message("<PID><PID.5><PID.6.1/></PID.5></PID>")) ==
        "hl7v2-xml: <PID.6.1> inside <PID.5>; expected <PID.5.n> at line 1, column 113");
  CHECK(decode_error_text(message("<PID><PID.x/></PID>")) ==
        "hl7v2-xml: <PID.x>: 'x' is not a position (a number from 1) at line 1, column 106");
  CHECK(decode_error_text(message("<PID><PID.0/></PID>")) ==
        "hl7v2-xml: <PID.0>: '0' is not a position (a number from 1) at line 1, column 106");
  CHECK(decode_error_text(message("<PID><PID.05/></PID>")) ==
        "hl7v2-xml: <PID.05>: '05' is not a position (a number from 1) at line 1, column 106");
  CHECK(decode_error_text(message("<PID><PID.5.1/></PID>")) ==
        "hl7v2-xml: <PID.5.1>: '5.1' is not a position (a number from 1) at line 1, column 106");

  // Order.
  CHECK(decode_error_text(message("<PID><PID.5/><PID.3/></PID>")) ==
        "hl7v2-xml: <PID.3> after <PID.5>: fields come in order, and only consecutive elements of one field are its "
        "repetitions at line 1, column 114");
  CHECK(decode_error_text(message("<PID><PID.5><PID.5.2/><PID.5.2/></PID.5></PID>")) ==
        "hl7v2-xml: <PID.5.2> after <PID.5.2>: components come in increasing order at line 1, column 123");
  CHECK(decode_error_text(message("<PID><PID.5><PID.5.1><PID.5.1.3/><PID.5.1.1/></PID.5.1></PID.5></PID>")) ==
        "hl7v2-xml: <PID.5.1.1> after <PID.5.1.3>: subcomponents come in increasing order at line 1, column 134");

  // Text and elements.
  CHECK(decode_error_text(message("<PID>1</PID>")) ==
        "hl7v2-xml: text inside <PID>, where only <PID.n> elements belong at line 1, column 105");
  CHECK(decode_error_text(message("<PID><PID.5>x<PID.5.1/></PID.5></PID>")) ==
        "hl7v2-xml: <PID.5> mixes text and elements at line 1, column 112");
  CHECK(decode_error_text(message("<PID><PID.5><PID.5.1><PID.5.1.1><b/></PID.5.1.1></PID.5.1></PID.5></PID>")) ==
        "hl7v2-xml: <PID.5.1.1> is a subcomponent and holds text only, not <b> at line 1, column 133");
  CHECK(decode_error_text(message("<PID><PID.5 x=\"1\"/></PID>")) ==
        "hl7v2-xml: attribute x on <PID.5>: the hl7v2-xml form has no attributes at line 1, column 106");

  // The header's separators.
  CHECK(
      decode_error_text("<HL7Message><MSH><MSH.2>^~\\&amp;</MSH.2></MSH></HL7Message>") ==
      "hl7v2-xml: <MSH> must begin with <MSH.1> (the field separator) and <MSH.2> (the encoding characters) at line 1, "
      "column 19");
  CHECK(
      decode_error_text("<HL7Message><MSH><MSH.1>|</MSH.1></MSH></HL7Message>") ==
      "hl7v2-xml: <MSH> must begin with <MSH.1> (the field separator) and <MSH.2> (the encoding characters) at line 1, "
      "column 14");
  CHECK(decode_error_text("<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2>^^</MSH.2></MSH></HL7Message>") ==
        "hl7v2-xml: MSH-2 (the encoding characters) must be distinct printable non-alphanumeric characters other than "
        "MSH-1 at line 1, column 35");
  CHECK(decode_error_text("<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2><MSH.2.1>^</MSH.2.1></MSH.2></MSH></HL7Message>") ==
        "hl7v2-xml: <MSH.2> holds the separators as text, not elements at line 1, column 35");
  CHECK(decode_error_text(
            "<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.4/><MSH.3/></MSH></HL7Message>") ==
        "hl7v2-xml: <MSH.3> after <MSH.4>: fields come in order, and only consecutive elements of one field are its "
        "repetitions at line 1, column 66");
  CHECK(decode_error_text("<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.2/></MSH></HL7Message>") ==
        "hl7v2-xml: <MSH.2> cannot repeat: it holds the separators at line 1, column 58");
  CHECK(decode_error_text(
            "<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2>^</MSH.2><MSH.3>a</MSH.3><MSH.3>b</MSH.3></MSH></HL7Message>") ==
        "hl7v2-xml: <MSH.3> repeats, but MSH-2 defines no repetition separator at line 1, column 67");
  CHECK(decode_error_text("<HL7Message><MSH><MSH.1>|</MSH.1><MSH.2>^~</MSH.2><MSH.3><MSH.3.1><MSH.3.1.1>a</MSH.3.1.1>"
                          "<MSH.3.1.2>b</MSH.3.1.2></MSH.3.1></MSH.3></MSH></HL7Message>") ==
        "hl7v2-xml: <MSH.3.1> holds subcomponents, but MSH-2 defines no subcomponent separator at line 1, column 59");

  // Batches.
  const std::string one = message("");
  CHECK(decode_error_text("<HL7Batch/>") == "hl7v2-xml: an empty <HL7Batch> at line 1, column 2");
  CHECK(decode_error_text("<HL7Batch>" + one + "<BHS><BHS.1>|</BHS.1><BHS.2>^~\\&amp;</BHS.2></BHS></HL7Batch>") ==
        "hl7v2-xml: <BHS> out of place; <HL7Batch> holds FHS, BHS, <HL7Message> elements, BTS, FTS, in that order at "
        "line 1, column 124");
  CHECK(decode_error_text("<HL7Batch>" + one + "<BTS/>" + one + "</HL7Batch>") ==
        "hl7v2-xml: <HL7Message> after the batch trailer at line 1, column 130");
  CHECK(decode_error_text("<HL7Batch><BTS/></HL7Batch>") ==
        "hl7v2-xml: <BTS> without a batch header or a message before it at line 1, column 12");
  CHECK(decode_error_text("<HL7Batch><MSH/></HL7Batch>") ==
        "hl7v2-xml: <MSH> inside <HL7Batch>; <HL7Batch> holds FHS, BHS, <HL7Message> elements, BTS, FTS, in that order "
        "at line 1, column 12");
  CHECK(decode_error_text("<HL7Batch><BTS/><FTS/></HL7Batch>") ==
        "hl7v2-xml: <BTS> without a batch header or a message before it at line 1, column 12");
  const std::string bhs = "<BHS><BHS.1>|</BHS.1><BHS.2>^~\\&amp;</BHS.2></BHS>";
  CHECK(decode_error_text("<HL7Batch>" + bhs + bhs + "</HL7Batch>") ==
        "hl7v2-xml: <BHS> out of place; <HL7Batch> holds FHS, BHS, <HL7Message> elements, BTS, FTS, in that order at "
        "line 1, column 62");
  CHECK(decode_error_text("<HL7File><HL7Batch>" + one + "</HL7Batch><HL7Batch>" + bhs + "</HL7Batch></HL7File>") ==
        "hl7v2-xml: each <HL7Batch> of a file with several begins with its BHS at line 1, column 11");
  CHECK(decode_error_text("<HL7File><HL7Batch><FHS/></HL7Batch></HL7File>") ==
        "hl7v2-xml: <FHS> inside <HL7Batch>; a batch of a file holds BHS, <HL7Message> elements, BTS, in that order at "
        "line 1, column 21");
  CHECK(decode_error_text("<HL7File><FTS/><HL7Batch>" + one + "</HL7Batch></HL7File>") ==
        "hl7v2-xml: <HL7Batch> after the file trailer at line 1, column 17");
  CHECK(decode_error_text("<HL7File/>") == "hl7v2-xml: an empty <HL7File> at line 1, column 2");
  CHECK(decode_error_text("<HL7Message><HL7Message/></HL7Message>") ==
        "hl7v2-xml: <HL7Message> inside <HL7Message>; a batch is <HL7Batch> holding <HL7Message> elements at line 1, "
        "column 14");
}

TEST_CASE("hl7v2-xml: limits", "[hl7v2-xml]") {
  const std::string xml = read_data("adt_a01_utf8.xml");
  auto big = hl7xml::decode(qiao::make_buffer(xml), opts("max_size=100"));
  REQUIRE_FALSE(big);
  CHECK(big.error().kind == ErrorKind::too_large);
  CHECK(big.error().message ==
        "hl7v2-xml: document of " + std::to_string(xml.size()) + " bytes exceeds max_size of 100 bytes");

  auto many = hl7xml::decode(qiao::make_buffer(xml), opts("max_segments=3"));
  REQUIRE_FALSE(many);
  CHECK(many.error().kind == ErrorKind::too_large);
  CHECK(many.error().message == "hl7v2-xml: more than 3 segments (max_segments) at line 114, column 4");
  CHECK(decode_ok(xml, opts("max_segments=4")).find("segments")->as_array().size() == 4);

  // A gap costs memory but no input: at most one left-out position per byte of the document.
  const std::string gap = message("<PID><PID.999999999/></PID>");
  auto hostile = hl7xml::decode(qiao::make_buffer(gap));
  REQUIRE_FALSE(hostile);
  CHECK(hostile.error().kind == ErrorKind::too_large);
  CHECK(hostile.error().message ==
        "hl7v2-xml: <PID.999999999> at line 1, column 106 leaves out more positions than the document has bytes");
  CHECK(fields_of(decode_ok(message("<PID><PID.100/></PID>")), 1).as_array().size() == 100);

  const Value value = er7_decode(read_data("adt_a01_utf8.hl7"));
  auto segments = hl7xml::encode(value, opts("max_segments=3"));
  REQUIRE_FALSE(segments);
  CHECK(segments.error().kind == ErrorKind::too_large);
  CHECK(segments.error().message == "hl7v2-xml: more than 3 segments (max_segments)");
  auto size = hl7xml::encode(value, opts("max_size=200"));
  REQUIRE_FALSE(size);
  CHECK(size.error().kind == ErrorKind::too_large);
}

TEST_CASE("hl7v2-xml: encode errors name the segment and field", "[hl7v2-xml]") {
  CHECK(encode_error_text(Value("x")) == "hl7v2-xml: $: a message is an object with a \"segments\" array");
  CHECK(encode_error_text(Value(Object{{"segments", Value(Array{})}})) ==
        "hl7v2-xml: $: a message needs at least its MSH segment");
  CHECK(encode_error_text(
            Value(Object{{"segments", Value(Array{Value(Object{{"id", "PID"}, {"fields", Value(Array{})}})})}})) ==
        "hl7v2-xml: $.segments[0] (PID): a message starts with MSH");
  Value v = er7_decode(msh_er7 + "PID|1\r");
  auto& segments = v.as_object().find("segments")->as_array();
  auto& pid = segments[1].as_object().find("fields")->as_array();
  pid[0] = Value(true);
  CHECK(encode_error_text(v) == "hl7v2-xml: $.segments[1] (PID) field 1: cannot write a boolean");
  pid[0] = Value(Array{Value(Array{Value(Array{"x"})})});
  CHECK(encode_error_text(v) == "hl7v2-xml: $.segments[1] (PID) field 1: subcomponents cannot hold arrays");
  pid[0] = Value(Object{{"x", "1"}});
  CHECK(encode_error_text(v) == "hl7v2-xml: $.segments[1] (PID) field 1: a field object holds only a \"rep\" array");
  pid[0] = Value(Object{{"rep", Value(Array{Value(Object{})})}});
  CHECK(encode_error_text(v) ==
        "hl7v2-xml: $.segments[1] (PID) field 1: a repetition is a string or an array of components");
  pid[0] = Value("bell\a");
  CHECK(encode_error_text(v) ==
        "hl7v2-xml: $.segments[1] (PID) field 1: control character 0x07 cannot be written in XML");
  pid[0] = Value(std::string("\xff"));
  CHECK(encode_error_text(v) == "hl7v2-xml: $.segments[1] (PID) field 1: invalid UTF-8 in the text");
  pid[0] = Value(std::int64_t{42});
  CHECK(encode_ok(v, opts("declaration=no")).find("<PID><PID.1><PID.1.1>42</PID.1.1></PID.1></PID>") !=
        std::string::npos);
  pid[0] = Value();
  CHECK(encode_ok(v, opts("declaration=no")).find("<PID><PID.1/></PID>") != std::string::npos);
  segments[1].as_object().set("id", Value("pid"));
  CHECK(encode_error_text(v) == "hl7v2-xml: $.segments[1]: invalid segment id 'pid'");
  segments[1].as_object().set("id", Value("MSH"));
  CHECK(encode_error_text(v) ==
        "hl7v2-xml: $.segments[1] (MSH): a second MSH in one message; a batch lists its messages");
  segments[1].as_object().set("id", Value("BTS"));
  CHECK(encode_error_text(v) ==
        "hl7v2-xml: $.segments[1] (BTS): batch header and trailer segments belong in the batch's "
        "\"header\" and \"trailer\"");
  segments[1].as_object().set("id", Value("PID"));
  segments[1].as_object().set("fields", Value("x"));
  CHECK(encode_error_text(v) == "hl7v2-xml: $.segments[1] (PID): \"fields\" must be an array");
  segments[0].as_object().find("fields")->as_array()[1] = Value("^^");
  CHECK(encode_error_text(v).rfind("hl7v2-xml: $.segments[0] (MSH): MSH-2 (the encoding characters) must be distinct",
                                   0) == 0);
  Value bad_batch(Object{{"header", Value(Array{Value(Object{{"id", "PID"}})})}, {"messages", Value(Array{})}});
  CHECK(encode_error_text(bad_batch) == "hl7v2-xml: $.header[0]: the batch header holds FHS and BHS segments");
  Value bad_trailer(
      Object{{"messages", Value(Array{er7_decode(msh_er7)})}, {"trailer", Value(Array{Value(Object{{"id", "MSH"}})})}});
  CHECK(encode_error_text(bad_trailer) == "hl7v2-xml: $.trailer[0]: the batch trailer holds BTS and FTS segments");
}

TEST_CASE("hl7v2-xml: options and the registered codec", "[hl7v2-xml]") {
  const auto o = opts("encoding=gb2312,indent=4,declaration=no,max_size=2K,max_segments=7");
  CHECK(o.encoding == "GB2312");
  CHECK(o.indent == 4);
  CHECK_FALSE(o.declaration);
  CHECK(o.max_size == 2048);
  CHECK(o.max_segments == 7);
  using qiao::testing::codec_error;
  CHECK(codec_error("hl7v2-xml:colour=red") ==
        "codec hl7v2-xml: unknown key 'colour' (known: encoding, indent, declaration, max_size, max_segments)");
  CHECK(codec_error("hl7v2-xml:indent=9") == "codec hl7v2-xml: indent must be from 0 to 8, not 9");
  CHECK(codec_error("hl7v2-xml:max_size=0") == "codec hl7v2-xml: max_size must be more than 0");
  CHECK(codec_error("hl7v2-xml:encoding=NOPE-99") == "codec hl7v2-xml: encoding 'NOPE-99' is not supported");
  CHECK(codec_error("hl7v2-xml:declaration=maybe") ==
        "codec hl7v2-xml: declaration: expected true or false, found 'maybe'");
  CHECK(codec_error("hl7v2-xml:indent") == "codec hl7v2-xml: option 'indent' needs a value (write indent=…)");

  qiao::Plugins plugins;
  REQUIRE(hl7xml::register_plugins(plugins));
  REQUIRE(plugins.codecs.find("hl7v2-xml") != nullptr);
  auto codec = qiao::testing::make_codec("hl7v2-xml:encoding=GBK");
  REQUIRE(codec);
  CHECK((*codec)->content_type() == "application/xml; charset=GBK");
  CHECK((*qiao::testing::make_codec("hl7v2-xml"))->content_type() == "application/xml; charset=UTF-8");
  const Value value = er7_decode(read_data("adt_a01_utf8.hl7"));
  auto xml = (*codec)->encode(value);
  REQUIRE(xml);
  auto back = (*codec)->decode(qiao::make_buffer(*xml));
  REQUIRE(back);
  CHECK(*back == value);
  CHECK_FALSE(qiao::testing::make_codec("hl7v2-xml:bogus=1"));
}

TEST_CASE("hl7v2-xml: long leaves borrow from the decoder's copy", "[hl7v2-xml]") {
  const Value v =
      decode_ok(message("<NTE><NTE.1>a text longer than fifteen bytes</NTE.1><NTE.2>short</NTE.2>"
                        "<NTE.3>esc \\F\\ longer than fifteen</NTE.3></NTE>"));
  const Array& f = fields_of(v, 1).as_array();
  CHECK(f[0].as_text().is_borrowed());
  CHECK_FALSE(f[1].as_text().is_borrowed());
  CHECK_FALSE(f[2].as_text().is_borrowed());
  CHECK(f[2] == Value("esc | longer than fifteen"));
}
