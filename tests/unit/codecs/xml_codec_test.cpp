#include "codecs/xml/xml_codec.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "codecs/xml/register.hpp"
#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/value.hpp"
#include "tests/unit/codecs/codec_name_support.hpp"

using qiao::Array;
using qiao::Bytes;
using qiao::Decimal;
using qiao::ErrorKind;
using qiao::Object;
using qiao::Value;
namespace xml = qiao::xml;

namespace {

xml::Options options(std::string_view argument) {
  return qiao::testing::codec_options<xml::XmlCodec>("xml:" + std::string(argument));
}

Value decode_ok(std::string text, const xml::Options& opts = {}) {
  auto decoded = xml::decode(qiao::make_buffer(std::move(text)), opts);
  if (!decoded) FAIL("decode failed: " << decoded.error().message);
  return std::move(decoded).value();
}

std::string decode_error(std::string text, const xml::Options& opts = {}, ErrorKind kind = ErrorKind::bad_input) {
  auto decoded = xml::decode(qiao::make_buffer(std::move(text)), opts);
  if (decoded) FAIL("decode unexpectedly succeeded");
  CHECK(decoded.error().kind == kind);
  return decoded.error().message;
}

std::string encode_ok(const Value& value, const xml::Options& opts = {}) {
  auto encoded = xml::encode(value, opts);
  if (!encoded) FAIL("encode failed: " << encoded.error().message);
  return std::move(encoded).value();
}

std::string encode_error(const Value& value, const xml::Options& opts = {}) {
  auto encoded = xml::encode(value, opts);
  if (encoded) FAIL("encode unexpectedly succeeded: " << *encoded);
  CHECK(encoded.error().kind == ErrorKind::flow);
  return encoded.error().message;
}

xml::Options no_declaration() {
  xml::Options o;
  o.declaration = false;
  return o;
}

// Compact JSON-like text of a Value, for exact assertions (strings unescaped but quoted).
std::string show(const Value& v) {
  switch (v.type()) {
    case Value::Type::null: return "null";
    case Value::Type::boolean: return v.as_bool() ? "true" : "false";
    case Value::Type::integer: return std::to_string(v.as_int());
    case Value::Type::real: return std::to_string(v.as_real());
    case Value::Type::decimal: return v.as_decimal().text;
    case Value::Type::string: return "\"" + std::string(v.as_string()) + "\"";
    case Value::Type::bytes: return "bytes";
    case Value::Type::array: {
      std::string s = "[";
      for (const Value& item : v.as_array()) s += (s.size() > 1 ? "," : "") + show(item);
      return s + "]";
    }
    case Value::Type::object: {
      std::string s = "{";
      for (const auto& [key, member] : v.as_object()) s += (s.size() > 1 ? ",\"" : "\"") + key + "\":" + show(member);
      return s + "}";
    }
  }
  return "?";
}

// decode → encode → decode gives the same Value, and encoding is canonical.
void check_round_trip(const std::string& text, const xml::Options& opts = {}) {
  const Value first = decode_ok(text, opts);
  const std::string encoded = encode_ok(first, opts);
  const Value second = decode_ok(encoded, opts);
  CHECK(show(second) == show(first));
  CHECK(second == first);
  CHECK(encode_ok(second, opts) == encoded);
}

const char* const registration_request = R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- kiosk registration, HIS interface v2.3 -->
<Request>
  <TradeCode>1001</TradeCode>
  <HospitalId>H0001</HospitalId>
  <TerminalId>KIOSK-03</TerminalId>
  <Patient cardType="medicalInsurance">
    <PatientID>P0012345</PatientID>
    <Name>张三</Name>
    <Sex>M</Sex>
    <BirthDate>1980-02-29</BirthDate>
    <Phone></Phone>
  </Patient>
  <DeptCode>0301</DeptCode>
  <DoctorCode/>
  <RegFee>12.50</RegFee>
</Request>
)";

const char* const registration_response = R"(<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <ResultCode>0</ResultCode>
  <ResultMsg>挂号成功</ResultMsg>
  <RegInfo>
    <RegNo>R20240611000123</RegNo>
    <QueueNo>17</QueueNo>
    <Dept code="0301">心血管内科</Dept>
    <VisitTime>2024-06-11 08:30</VisitTime>
  </RegInfo>
</Response>
)";

const char* const lab_report = R"(<?xml version="1.0" encoding="UTF-8"?>
<LabReport reportId="LIS202406110004567" status="final">
  <PatientID>P0012345</PatientID>
  <Specimen barcode="100245678901">静脉血</Specimen>
  <Item seq="1"><Code>WBC</Code><Name>白细胞计数</Name><Value>6.42</Value><Unit>10^9/L</Unit><Range>3.5-9.5</Range><Flag>N</Flag></Item>
  <Item seq="2"><Code>GLU</Code><Name>葡萄糖</Name><Value>7.80</Value><Unit>mmol/L</Unit><Range>3.9-6.1</Range><Flag>H</Flag></Item>
  <Item seq="3"><Code>K</Code><Name>钾</Name><Value>&lt;2.5</Value><Unit>mmol/L</Unit><Range>3.5-5.3</Range><Flag>LL</Flag></Item>
  <Conclusion>血糖偏高，请结合临床</Conclusion>
</LabReport>
)";

}  // namespace

TEST_CASE("xml kind: name, content type, options, registration", "[codec][xml]") {
  xml::XmlCodecKind kind;
  CHECK(kind.name() == "xml");
  CHECK_FALSE(kind.description().empty());

  CHECK(kind.schema().size() == 9);
  auto codec = qiao::testing::make_codec("xml", "/etc/qiao");
  REQUIRE(codec);
  CHECK((*codec)->content_type() == "application/xml; charset=UTF-8");
  auto decoded = (*codec)->decode(qiao::make_buffer("<a><b>1</b></a>"));
  REQUIRE(decoded);
  CHECK(show(*decoded) == R"({"a":{"b":"1"}})");
  auto encoded = (*codec)->encode(*decoded);
  REQUIRE(encoded);
  CHECK(*encoded == R"(<?xml version="1.0" encoding="UTF-8"?><a><b>1</b></a>)");

  auto gbk = qiao::testing::make_codec("xml:encoding=gbk");
  REQUIRE(gbk);
  CHECK((*gbk)->content_type() == "application/xml; charset=GBK");

  qiao::Plugins plugins;
  REQUIRE(xml::register_plugins(plugins));
  CHECK(plugins.codecs.find("xml") != nullptr);
}

TEST_CASE("xml options: parsed, lists continue after a comma, bad ones refused", "[codec][xml]") {
  const xml::Options o = options(
      "root=Request,arrays=Item,OBX,nested=ResultXml,Data,cdata=Data,xmlns=http://his.example/,"
      "xmlns:soap=http://schemas.xmlsoap.org/soap/envelope/,encoding=GB2312,declaration=no,max_size=64K,max_depth=32");
  CHECK(o.root == "Request");
  CHECK(o.arrays == std::vector<std::string>{"Item", "OBX"});
  CHECK(o.nested == std::vector<std::string>{"ResultXml", "Data"});
  CHECK(o.cdata == std::vector<std::string>{"Data"});
  REQUIRE(o.namespaces.size() == 2);
  CHECK(o.namespaces[0] == std::pair<std::string, std::string>{"xmlns", "http://his.example/"});
  CHECK(o.namespaces[1] ==
        std::pair<std::string, std::string>{"xmlns:soap", "http://schemas.xmlsoap.org/soap/envelope/"});
  CHECK(o.encoding == "GB2312");
  CHECK_FALSE(o.declaration);
  CHECK(o.max_size == 64 * 1024);
  CHECK(o.max_depth == 32);

  const xml::Options defaults = options("");
  CHECK(defaults.declaration);
  CHECK(defaults.encoding.empty());
  CHECK(defaults.max_depth == 128);
  CHECK(defaults.max_size == 16 * 1024 * 1024);

  const auto refused = [](std::string_view argument) {
    return qiao::testing::codec_error("xml:" + std::string(argument));
  };
  CHECK(refused("pretty=yes") ==
        "codec xml: unknown key 'pretty' (known: root, arrays, nested, cdata, xmlns, encoding, declaration, max_size, "
        "max_depth)");
  CHECK(refused("Item") == "codec xml: option 'Item' needs a value (write Item=…)");
  CHECK(refused("root=A,Item") == "codec xml: option 'Item' needs a value (write Item=…)");
  CHECK(refused("root=A,root=B") == "codec xml: option 'root' is given twice");
  CHECK(refused("arrays=") == "codec xml: arrays: an element name is empty");
  CHECK(refused("encoding=KLINGON") == "codec xml: encoding 'KLINGON' is not supported");
  CHECK(refused("declaration=maybe") == "codec xml: declaration: expected true or false, found 'maybe'");
  CHECK(refused("max_depth=0") == "codec xml: max_depth must be from 1 to 1000, not 0");
  CHECK(refused("max_depth=5000") == "codec xml: max_depth must be from 1 to 1000, not 5000");
  CHECK(refused("max_size=lots") == "codec xml: max_size: expected a size such as 8192, 64KiB or 1MiB, found 'lots'");
  // The empty prefix is the default namespace, as xmlns=URI writes it.
  CHECK(options("xmlns:=http://x/").namespaces ==
        std::vector<std::pair<std::string, std::string>>{{"xmlns", "http://x/"}});
}

TEST_CASE("xml decode: a registration request keeps its root, order, attributes and text", "[codec][xml]") {
  const Value v = decode_ok(registration_request);
  CHECK(show(v) == R"({"Request":{"TradeCode":"1001","HospitalId":"H0001","TerminalId":"KIOSK-03",)"
                   R"("Patient":{"@cardType":"medicalInsurance","PatientID":"P0012345","Name":"张三","Sex":"M",)"
                   R"("BirthDate":"1980-02-29","Phone":""},"DeptCode":"0301","DoctorCode":"","RegFee":"12.50"}})");
  // Numbers stay text: XML has no types, and "0301" must keep its zero.
  CHECK(v.find_path("Request.DeptCode")->is_string());
  check_round_trip(registration_request);
}

TEST_CASE("xml decode: a response with an attribute and text on one element", "[codec][xml]") {
  const Value v = decode_ok(registration_response);
  CHECK(show(v) == R"({"Response":{"ResultCode":"0","ResultMsg":"挂号成功","RegInfo":{"RegNo":"R20240611000123",)"
                   R"("QueueNo":"17","Dept":{"@code":"0301","#text":"心血管内科"},"VisitTime":"2024-06-11 08:30"}}})");
  check_round_trip(registration_response);
}

TEST_CASE("xml decode: repeated elements become an array at the first one's place", "[codec][xml]") {
  const Value v = decode_ok(lab_report);
  const Value* items = v.find_path("LabReport.Item");
  REQUIRE(items);
  REQUIRE(items->is_array());
  REQUIRE(items->as_array().size() == 3);
  CHECK(show(items->as_array()[2]) ==
        R"({"@seq":"3","Code":"K","Name":"钾","Value":"<2.5","Unit":"mmol/L","Range":"3.5-5.3","Flag":"LL"})");
  std::string keys;
  for (const auto& [key, member] : v.find("LabReport")->as_object()) keys += key + " ";
  CHECK(keys == "@reportId @status PatientID Specimen Item Conclusion ");
  CHECK(show(*v.find_path("LabReport.Specimen")) == R"({"@barcode":"100245678901","#text":"静脉血"})");
  check_round_trip(lab_report);

  // Interleaved names group under the first occurrence: the order between names is not kept.
  CHECK(show(decode_ok("<r><a>1</a><b/><a>2</a></r>")) == R"({"r":{"a":["1","2"],"b":""}})");
}

TEST_CASE("xml decode: arrays= makes a single element an array, by name or local name", "[codec][xml]") {
  const std::string one = "<LabReport><Item><Code>WBC</Code></Item><lis:OBX>1</lis:OBX></LabReport>";
  CHECK(show(decode_ok(one)) == R"({"LabReport":{"Item":{"Code":"WBC"},"lis:OBX":"1"}})");
  const xml::Options o = options("arrays=Item,OBX");
  CHECK(show(decode_ok(one, o)) == R"({"LabReport":{"Item":[{"Code":"WBC"}],"lis:OBX":["1"]}})");
  CHECK(show(decode_ok("<r><Item>1</Item><Item>2</Item></r>", o)) == R"({"r":{"Item":["1","2"]}})");
  check_round_trip(one, o);
  // A single-item array encodes as one element either way.
  CHECK(encode_ok(Value(Object{{"r", Object{{"Item", Array{"1"}}}}}), no_declaration()) == "<r><Item>1</Item></r>");
}

TEST_CASE("xml decode: mixed text, whitespace, CDATA, comments and processing instructions", "[codec][xml]") {
  CHECK(show(decode_ok("<p>Dear <b>Zhang</b> see you</p>")) == R"({"p":{"#text":"Dear  see you","b":"Zhang"}})");
  CHECK(show(decode_ok("<p><b>x</b>  tail </p>")) == R"({"p":{"b":"x","#text":"  tail "}})");
  // Whitespace between elements is formatting; whitespace alone in an element is its text.
  CHECK(show(decode_ok("<a>\n  <b> </b>\n</a>")) == R"({"a":{"b":" "}})");
  CHECK(show(decode_ok("<a><![CDATA[x < y && z]]></a>")) == R"({"a":"x < y && z"})");
  CHECK(show(decode_ok("<a>1<![CDATA[<2>]]>3</a>")) == R"({"a":"1<2>3"})");
  CHECK(show(decode_ok("<?xml version=\"1.0\"?><!DOCTYPE a><!-- c --><a><?pi x?>t<!-- d -->u</a><!-- after -->")) ==
        R"({"a":"tu"})");
  CHECK(show(decode_ok("<a x=\"1\"/>")) == R"({"a":{"@x":"1"}})");
  CHECK(show(decode_ok("<a/>")) == R"({"a":""})");
  // Entities: the five predefined and character references are decoded; others stay as written
  // (no DTD is read, so no external entity is ever fetched).
  CHECK(show(decode_ok("<a t='&quot;&apos;&#x4E2D;&#25991;'>&lt;&gt;&amp;&unknown;</a>")) ==
        R"({"a":{"@t":""'中文","#text":"<>&&unknown;"}})");
  // Attribute whitespace is normalized as XML says; character references keep it.
  CHECK(show(decode_ok("<a t='1\n2&#10;3'/>")) == "{\"a\":{\"@t\":\"1 2\n3\"}}");
  CHECK(show(decode_ok("<a>x\r\ny</a>")) == "{\"a\":\"x\ny\"}");
  CHECK(show(decode_ok("\xEF\xBB\xBF<a>bom</a>")) == R"({"a":"bom"})");
}

TEST_CASE("xml round trip: whitespace-only text beside elements survives as references", "[codec][xml]") {
  // Found by xml_fuzz (tests/fuzz/findings/xml): "&#10;" beside <R> decoded to "\n", was written
  // as a raw newline, and the parser dropped it as formatting on the way back.
  const Value decoded = decode_ok("<Body>&#10;<R>x</R></Body>");
  CHECK(show(decoded) == "{\"Body\":{\"#text\":\"\n\",\"R\":\"x\"}}");
  const std::string encoded = encode_ok(decoded, no_declaration());
  CHECK(encoded == "<Body>&#10;<R>x</R></Body>");
  CHECK(decode_ok(encoded) == decoded);
  CHECK(encode_ok(Value(Object{{"a", Object{{"b", "1"}, {"#text", " \t\r\n"}}}}), no_declaration()) ==
        "<a><b>1</b>&#32;&#9;&#13;&#10;</a>");
  // Alone in an element, whitespace is the element's text and is written as it is.
  CHECK(encode_ok(Value(Object{{"a", Object{{"b", " "}}}}), no_declaration()) == "<a><b> </b></a>");
  CHECK(encode_ok(Value(Object{{"a", Object{{"@x", "1"}, {"#text", " "}}}}), no_declaration()) == "<a x=\"1\"> </a>");
}

TEST_CASE("xml decode: namespaces keep their prefixes and declarations", "[codec][xml]") {
  const std::string soap = R"(<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:his="http://his.example/">
  <soap:Body>
    <his:GetPatientInfoResponse>
      <his:GetPatientInfoResult>0</his:GetPatientInfoResult>
    </his:GetPatientInfoResponse>
  </soap:Body>
</soap:Envelope>)";
  const Value v = decode_ok(soap);
  CHECK(
      show(v) ==
      R"({"soap:Envelope":{"@xmlns:soap":"http://schemas.xmlsoap.org/soap/envelope/","@xmlns:his":"http://his.example/",)"
      R"("soap:Body":{"his:GetPatientInfoResponse":{"his:GetPatientInfoResult":"0"}}}})");
  check_round_trip(soap);
  CHECK(encode_ok(v, no_declaration()) ==
        R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:his="http://his.example/">)"
        R"(<soap:Body><his:GetPatientInfoResponse><his:GetPatientInfoResult>0</his:GetPatientInfoResult>)"
        R"(</his:GetPatientInfoResponse></soap:Body></soap:Envelope>)");
}

TEST_CASE("xml decode: nested= decodes an escaped XML string in place", "[codec][xml]") {
  const std::string soap = R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
<soap:Body><HisServiceResponse xmlns="http://his.example/"><HisServiceResult>&lt;?xml version="1.0" encoding="GBK"?&gt;
&lt;Response&gt;&lt;ResultCode&gt;0&lt;/ResultCode&gt;&lt;ResultMsg&gt;成功 &amp;amp; 已缴费&lt;/ResultMsg&gt;&lt;Item&gt;A&lt;/Item&gt;&lt;/Response&gt;</HisServiceResult></HisServiceResponse></soap:Body>
</soap:Envelope>)";
  const Value plain = decode_ok(soap);
  const Value* raw = plain.find_path("soap:Envelope.soap:Body.HisServiceResponse.HisServiceResult");
  REQUIRE(raw);
  CHECK(raw->as_string().substr(0, 40) == "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<Re");

  const xml::Options o = options("nested=HisServiceResult,arrays=Item");
  const Value v = decode_ok(soap, o);
  const Value* result = v.find_path("soap:Envelope.soap:Body.HisServiceResponse.HisServiceResult");
  REQUIRE(result);
  // The nested text is Unicode already: its declaration's encoding is not applied again.
  CHECK(show(*result) == R"({"Response":{"ResultCode":"0","ResultMsg":"成功 & 已缴费","Item":["A"]}})");
  CHECK(v.find_path("soap:Envelope.soap:Body.HisServiceResponse.HisServiceResult.Response.ResultMsg")->as_string() ==
        "成功 & 已缴费");

  // Encode escapes the inner document once, and inner text once more inside it: never twice.
  xml::Options eo = o;
  eo.declaration = false;
  const std::string encoded = encode_ok(v, eo);
  CHECK(encoded.find("<HisServiceResult>&lt;Response&gt;&lt;ResultCode&gt;0&lt;/ResultCode&gt;&lt;ResultMsg&gt;"
                     "成功 &amp;amp; 已缴费&lt;/ResultMsg&gt;&lt;Item&gt;A&lt;/Item&gt;&lt;/Response&gt;"
                     "</HisServiceResult>") != std::string::npos);
  CHECK(decode_ok(encoded, o) == v);

  // Text that is not a document stays a string (HIS often puts an error text there).
  CHECK(show(decode_ok("<R><HisServiceResult>系统繁忙</HisServiceResult></R>", o)) ==
        R"({"R":{"HisServiceResult":"系统繁忙"}})");
  CHECK(show(decode_ok("<R><HisServiceResult/></R>", o)) == R"({"R":{"HisServiceResult":""}})");
}

TEST_CASE("xml decode: nested= decodes a CDATA document, cdata= writes it back as CDATA", "[codec][xml]") {
  const std::string doc =
      R"(<Result><Code>0</Code><Data><![CDATA[<Patient><Name>李四</Name><Note>a]]]]><![CDATA[>b &amp; c</Note></Patient>]]></Data></Result>)";
  const xml::Options o = options("nested=Data,cdata=Data,declaration=no");
  const Value v = decode_ok(doc, o);
  CHECK(show(v) == R"({"Result":{"Code":"0","Data":{"Patient":{"Name":"李四","Note":"a]]>b & c"}}}})");
  CHECK(encode_ok(v, o) ==
        "<Result><Code>0</Code><Data><![CDATA[<Patient><Name>李四</Name><Note>a]]&gt;b &amp; "
        "c</Note></Patient>]]></Data></Result>");
  check_round_trip(doc, o);

  // "#cdata" asks for a CDATA section on one element; "]]>" is split across two sections.
  CHECK(encode_ok(Value(Object{{"a", Object{{"#cdata", "x]]>y<z"}}}}), no_declaration()) ==
        "<a><![CDATA[x]]]]><![CDATA[>y<z]]></a>");
  CHECK(show(decode_ok("<a><![CDATA[x]]]]><![CDATA[>y<z]]></a>")) == R"({"a":"x]]>y<z"})");
  // A CR cannot survive CDATA (parsers turn it into LF), so such text is escaped instead.
  CHECK(encode_ok(Value(Object{{"a", Object{{"#cdata", "x\r\ny"}}}}), no_declaration()) == "<a>x&#13;\ny</a>");
}

TEST_CASE("xml decode: nested documents count toward the depth limit and report where", "[codec][xml]") {
  xml::Options o = options("nested=Data,max_depth=3");
  CHECK(show(decode_ok("<a><Data>&lt;b/&gt;</Data></a>", o)) == R"({"a":{"Data":{"b":""}}})");
  CHECK(decode_error("<a><Data>&lt;b&gt;&lt;c/&gt;&lt;/b&gt;</Data></a>", o) ==
        "xml: nesting deeper than 3 levels at line 1, column 5 in the XML nested in <Data> at line 1, column 5");
  CHECK(decode_error("<a>\n <Data>&lt;b&gt;&lt;/c&gt;</Data></a>", o) ==
        "xml: mismatched end tag at line 1, column 6 in the XML nested in <Data> at line 2, column 3");
}

TEST_CASE("xml decode: GBK, GB2312 and GB18030 documents become UTF-8", "[codec][xml]") {
  // 张三 in GBK is D5C5 C8FD; 心血管内科 follows.
  const std::string gbk =
      "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<Request><Name>\xD5\xC5\xC8\xFD</Name>"
      "<Dept>\xD0\xC4\xD1\xAA\xB9\xDC\xC4\xDA\xBF\xC6</Dept></Request>";
  CHECK(show(decode_ok(gbk)) == R"({"Request":{"Name":"张三","Dept":"心血管内科"}})");
  std::string gb2312 = gbk;
  gb2312.replace(gb2312.find("GBK"), 3, "gb2312");
  CHECK(show(decode_ok(gb2312)) == R"({"Request":{"Name":"张三","Dept":"心血管内科"}})");
  std::string gb18030 = gbk;
  gb18030.replace(gb18030.find("GBK"), 3, "GB18030");
  CHECK(show(decode_ok(gb18030)) == R"({"Request":{"Name":"张三","Dept":"心血管内科"}})");

  // No declaration: the encoding= option says what the bytes are; a declaration wins over it.
  const std::string bare = "<Name>\xD5\xC5\xC8\xFD</Name>";
  CHECK(show(decode_ok(bare, options("encoding=GBK"))) == R"({"Name":"张三"})");
  CHECK(show(decode_ok("<?xml version='1.0' encoding='UTF-8'?><Name>张三</Name>", options("encoding=GBK"))) ==
        R"({"Name":"张三"})");
  CHECK(decode_error(bare) == "xml: invalid UTF-8 at line 1, column 7");

  // Encode converts and declares.
  const std::string encoded = encode_ok(decode_ok(gbk), options("encoding=GBK"));
  CHECK(encoded ==
        "<?xml version=\"1.0\" encoding=\"GBK\"?><Request><Name>\xD5\xC5\xC8\xFD</Name>"
        "<Dept>\xD0\xC4\xD1\xAA\xB9\xDC\xC4\xDA\xBF\xC6</Dept></Request>");
  CHECK(decode_ok(encoded) == decode_ok(gbk));
  // Positions in a converted document count characters.
  CHECK(decode_error("<?xml version=\"1.0\" encoding=\"GBK\"?>\n<a>\xD5\xC5\xC8\xFD</b>") ==
        "xml: mismatched end tag at line 2, column 8");
}

TEST_CASE("xml encode: order, root, namespaces, scalars, escaping once", "[codec][xml]") {
  Object patient{{"@cardType", "medicalInsurance"}, {"PatientID", "P0012345"}, {"Name", "张三"}};
  const Value request(Object{{"Request", Object{{"TradeCode", "1001"},
                                                {"Patient", patient},
                                                {"Fee", Decimal{"12.50"}},
                                                {"Count", 3},
                                                {"Ratio", 0.7},
                                                {"Paid", true},
                                                {"Remark", nullptr},
                                                {"Mac", Bytes{std::string("\x01\xab")}}}}});
  CHECK(encode_ok(request) ==
        R"(<?xml version="1.0" encoding="UTF-8"?><Request><TradeCode>1001</TradeCode>)"
        R"(<Patient cardType="medicalInsurance"><PatientID>P0012345</PatientID><Name>张三</Name></Patient>)"
        R"(<Fee>12.50</Fee><Count>3</Count><Ratio>0.7</Ratio><Paid>true</Paid><Remark/><Mac>01ab</Mac></Request>)");

  // root= wraps a flat object; a value already under that root is not wrapped twice.
  xml::Options o = options(
      "root=Request,declaration=no,xmlns=http://his.example/,xmlns:xsi=http://www.w3.org/2001/XMLSchema-instance");
  CHECK(
      encode_ok(Value(Object{{"A", "1"}, {"B", "2"}}), o) ==
      R"(<Request xmlns="http://his.example/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><A>1</A><B>2</B></Request>)");
  CHECK(
      encode_ok(Value(Object{{"Request", Object{{"A", "1"}}}}), o) ==
      R"(<Request xmlns="http://his.example/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><A>1</A></Request>)");
  // The Value's own declaration wins over the option's.
  CHECK(encode_ok(Value(Object{{"@xmlns", "urn:mine"}, {"A", "1"}}), o) ==
        R"(<Request xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="urn:mine"><A>1</A></Request>)");

  // Text and attributes are escaped exactly once; already-escaped-looking text is just text.
  const Value tricky(
      Object{{"a", Object{{"@q", "say \"hi\" & <bye>\t\n\r"}, {"#text", "x < y && y > z; &amp; ]]>\r"}}}});
  const std::string written = encode_ok(tricky, no_declaration());
  CHECK(written ==
        "<a q=\"say &quot;hi&quot; &amp; &lt;bye&gt;&#9;&#10;&#13;\">x &lt; y &amp;&amp; y &gt; z; &amp;amp; "
        "]]&gt;&#13;</a>");
  CHECK(decode_ok(written) == tricky);

  // Null attributes are left out; empty text is an empty element.
  CHECK(encode_ok(Value(Object{{"a", Object{{"@x", nullptr}, {"@y", ""}, {"b", ""}}}}), no_declaration()) ==
        R"(<a y=""><b/></a>)");
  CHECK(encode_ok(Value(Object{{"a", Object{}}}), no_declaration()) == "<a/>");
  CHECK(encode_ok(Value(Object{{"a", Object{{"b", Array{}}}}}), no_declaration()) == "<a></a>");
}

TEST_CASE("xml encode: nested= writes an object as escaped text, cdata= as a section", "[codec][xml]") {
  const Value inner(Object{{"Request", Object{{"PatientID", "P001"}, {"Name", "A&B"}}}});
  const Value outer(Object{{"soap:Envelope", Object{{"@xmlns:soap", "http://schemas.xmlsoap.org/soap/envelope/"},
                                                    {"soap:Body", Object{{"HisService", Object{{"inXml", inner}}}}}}}});
  CHECK(
      encode_ok(outer, options("nested=inXml,declaration=no")) ==
      R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><HisService>)"
      R"(<inXml>&lt;Request&gt;&lt;PatientID&gt;P001&lt;/PatientID&gt;&lt;Name&gt;A&amp;amp;B&lt;/Name&gt;&lt;/Request&gt;</inXml>)"
      R"(</HisService></soap:Body></soap:Envelope>)");
  CHECK(encode_ok(outer, options("nested=inXml,cdata=inXml,declaration=no")) ==
        R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><HisService>)"
        R"(<inXml><![CDATA[<Request><PatientID>P001</PatientID><Name>A&amp;B</Name></Request>]]></inXml>)"
        R"(</HisService></soap:Body></soap:Envelope>)");
  // A string under a nested key is text the flow already wrote: escaped once, not re-encoded.
  CHECK(encode_ok(Value(Object{{"R", Object{{"inXml", "<a>1</a>"}}}}), options("nested=inXml,declaration=no")) ==
        "<R><inXml>&lt;a&gt;1&lt;/a&gt;</inXml></R>");
  // Without nested= an object is child elements, as everywhere.
  CHECK(encode_ok(Value(Object{{"R", Object{{"inXml", inner}}}}), no_declaration()) ==
        "<R><inXml><Request><PatientID>P001</PatientID><Name>A&amp;B</Name></Request></inXml></R>");
}

TEST_CASE("xml encode: values XML cannot hold are errors naming the path", "[codec][xml]") {
  CHECK(encode_error(Value(Object{{"a", "1"}, {"b", "2"}})) ==
        "xml: the value must be an object with one key, the root element (or set root=) at $");
  CHECK(encode_error(Value("text")) ==
        "xml: the value must be an object with one key, the root element (or set root=) at $");
  CHECK(encode_error(Value(Object{{"a", Array{"1"}}})) == "xml: the root element cannot be an array at $.a");
  CHECK(encode_error(Value(Object{{"a", Object{{"1b", "x"}}}})) == "xml: \"1b\" is not an XML element name at $.a.1b");
  CHECK(encode_error(Value(Object{{"a", Object{{"b c", "x"}}}})) ==
        "xml: \"b c\" is not an XML element name at $.a.b c");
  CHECK(encode_error(Value(Object{{"a", Object{{"@", "x"}}}})) ==
        "xml: \"\" is not an XML attribute name at $.a[\"@\"]");
  CHECK(encode_error(Value(Object{{"a", Object{{"@x", Array{}}}}})) ==
        "xml: an attribute must be a scalar, not array at $.a[\"@x\"]");
  CHECK(encode_error(Value(Object{{"a", Object{{"b", Array{Array{}}}}}})) ==
        "xml: an array cannot hold an array directly at $.a.b[0]");
  CHECK(encode_error(Value(Object{{"a", Object{{"#text", Object{}}}}})) ==
        "xml: an object cannot be text at $.a.#text");
  CHECK(encode_error(Value(Object{{"a", "bad\xff"}})) == "xml: invalid UTF-8 in string at $.a");
  CHECK(encode_error(Value(Object{{"a", "bell\x07"}})) ==
        "xml: control character 0x07 cannot be written in XML at $.a");
  CHECK(encode_error(Value(Object{{"a", std::numeric_limits<double>::quiet_NaN()}})) ==
        "xml: cannot encode NaN/Infinity at $.a");
  CHECK(encode_error(Value(Object{{"a", "€"}}), options("encoding=GB2312")) ==
        "xml: byte 42 cannot be converted from UTF-8 to GB2312");

  Value deep = "x";
  for (int i = 0; i < 130; ++i) deep = Value(Object{{"d", std::move(deep)}});
  CHECK(encode_error(deep).rfind("xml: nesting deeper than 128 levels at $.d.d.d", 0) == 0);
}

TEST_CASE("xml decode: malformed documents name the line and column", "[codec][xml]") {
  CHECK(decode_error("") == "xml: empty document");
  CHECK(decode_error(" \n ") == "xml: empty document");
  CHECK(decode_error("<!-- only a comment -->") == "xml: no root element");
  CHECK(decode_error("<Request>\n  <PatientID>P1</PatientID>\n  <Name>张三</Nmae>\n</Request>") ==
        "xml: mismatched end tag at line 3, column 13");
  CHECK(decode_error("<a>\n<b>") == "xml: unexpected end of document at line 2, column 4");
  CHECK(decode_error("<a x='1>") == "xml: malformed attribute at line 1, column 7");
  CHECK(decode_error("<a x=1/>") == "xml: malformed attribute at line 1, column 6");
  CHECK(decode_error("<a>x</a") == "xml: unexpected end of document at line 1, column 8");
  CHECK(decode_error("<a>x</a b>") == "xml: malformed end tag at line 1, column 9");
  CHECK(decode_error("<1a/>") == "xml: malformed tag at line 1, column 2");
  CHECK(decode_error("<a><!- x --></a>") == "xml: malformed comment at line 1, column 7");
  CHECK(decode_error("<a><!-- x </a>") == "xml: unexpected end of document at line 1, column 15");
  CHECK(decode_error("<a><![CDATA[x</a>") == "xml: malformed CDATA section at line 1, column 13");
  CHECK(decode_error("<a/><b/>") == "xml: a second root element <b> at line 1, column 6");
  CHECK(decode_error("hello <a/>") == "xml: text outside the root element at line 1, column 1");
  CHECK(decode_error("<a/>\ntail") == "xml: text outside the root element at line 1, column 5");
  CHECK(decode_error("<a x='1' x='2'/>") == "xml: duplicate attribute x in <a> at line 1, column 2");
  CHECK(decode_error("<a>\n\x01</a>") == "xml: control character 0x01 at line 2, column 1");
  CHECK(decode_error("<a>张三&#0;</a>") ==
        "xml: character reference &#0; to a character XML does not allow at line 1, column 6");
  CHECK(decode_error("<a>&#xD800;</a>") ==
        "xml: character reference &#xD800; to a character XML does not allow at line 1, column 4");
  CHECK(decode_error("<a>&#99999999999;</a>") ==
        "xml: character reference &#99999999999; to a character XML does not allow at line 1, column 4");
  CHECK(decode_error("<a>ok\xC3</a>") == "xml: invalid UTF-8 at line 1, column 6");
  CHECK(decode_error("<?xml version=\"1.0\" encoding=\"KLINGON\"?><a/>") ==
        "xml: unsupported encoding \"KLINGON\" in the XML declaration");
  CHECK(decode_error("<?xml version=\"1.0\" encoding=\"GBK\"?><a>\xFF\xFF</a>") ==
        "xml: byte 39 cannot be converted from GBK to UTF-8 at line 1, column 40");
  CHECK(decode_error("<?xml version=\"1.0\" encoding=\"GBK\"?>\n<a>\xD5\xC5\xC8\xFD\xFF\xFF</a>") ==
        "xml: byte 44 cannot be converted from GBK to UTF-8 at line 2, column 6");
}

TEST_CASE("xml decode: size and depth limits", "[codec][xml]") {
  CHECK(decode_error("<a>0123456789</a>", options("max_size=10"), ErrorKind::too_large) ==
        "xml: document of 17 bytes exceeds max_size of 10 bytes");
  CHECK(show(decode_ok("<a>0123456789</a>", options("max_size=17"))) == R"({"a":"0123456789"})");

  std::string deep;
  for (int i = 0; i < 128; ++i) deep += "<d>";
  deep += "x";
  for (int i = 0; i < 128; ++i) deep += "</d>";
  CHECK(decode_ok(deep).is_object());
  CHECK(decode_error("<r>" + deep + "</r>") == "xml: nesting deeper than 128 levels at line 1, column 386");

  // A hostile depth costs neither stack nor time: the walk stops at the limit.
  std::string hostile;
  for (int i = 0; i < 200000; ++i) hostile += "<d>";
  CHECK(decode_error(hostile).rfind("xml: unexpected end of document", 0) == 0);
  for (int i = 0; i < 200000; ++i) hostile += "</d>";
  CHECK(decode_error(hostile) == "xml: nesting deeper than 128 levels at line 1, column 386");

  // Many distinct children: linear key lookups would be quadratic.
  std::string wide = "<r>";
  for (int i = 0; i < 50000; ++i)
    wide += "<k" + std::to_string(i) + ">" + std::to_string(i) + "</k" + std::to_string(i) + ">";
  wide += "<k7>again</k7></r>";
  const Value v = decode_ok(wide);
  CHECK(v.find("r")->as_object().size() == 50000);
  CHECK(show(*v.find_path("r.k7")) == R"(["7","again"])");
}

TEST_CASE("xml decode: long strings borrow from the decoder's copy, which outlives the input", "[codec][xml]") {
  Value v;
  {
    auto input = qiao::make_buffer("<a><long>a string longer than fifteen bytes</long><s>short</s></a>");
    auto decoded = xml::decode(input);
    REQUIRE(decoded);
    v = std::move(decoded).value();
  }
  CHECK(v.find_path("a.long")->as_text().is_borrowed());
  CHECK(v.find_path("a.long")->as_string() == "a string longer than fifteen bytes");
  CHECK_FALSE(v.find_path("a.s")->as_text().is_borrowed());
}
