// The reply codec of the SOAP source: the flow's reply wrapped in <OpResponse xmlns="ns"> in
// the request's version, nested documents escaped once, charsets, and read back by decode.

#include "adapters/soap/source/soap_reply_codec.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "core/text/charset.hpp"

using namespace qiao;
using namespace qiao::soap;

namespace {

ReplyShape register_shape(std::string charset = "") {
  return ReplyShape{"Register", "http://tempuri.org/", {"RegisterResult"}, {"inXml", "RegisterResult"}, {},
                    {},         std::move(charset)};
}

const std::string head11 =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope "
    "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>";
const std::string tail = "</soap:Body></soap:Envelope>";

std::string encode(const SoapReplyCodec& codec, const Value& v) {
  auto out = codec.encode(v);
  INFO((out ? std::string() : out.error().message));
  REQUIRE(out);
  return *out;
}

}  // namespace

TEST_CASE("soap reply: a nested result is written escaped exactly once", "[soap][reply]") {
  const SoapReplyCodec codec(Version::v1_1, register_shape());
  CHECK(codec.content_type() == "text/xml; charset=utf-8");
  const Value reply(
      Object{{"RegisterResult",
              Value(Object{{"Response", Value(Object{{"ResultCode", Value("0")}, {"Msg", Value("a&b")}})}})}});
  const std::string expected =
      head11 +
      "<RegisterResponse "
      "xmlns=\"http://tempuri.org/\"><RegisterResult>&lt;Response&gt;&lt;ResultCode&gt;0&lt;/ResultCode&gt;"
      "&lt;Msg&gt;a&amp;amp;b&lt;/Msg&gt;&lt;/Response&gt;</RegisterResult></RegisterResponse>" +
      tail;
  CHECK(encode(codec, reply) == expected);
  // Already wrapped in the response element: not wrapped twice.
  CHECK(encode(codec, Value(Object{{"RegisterResponse", reply}})) == expected);
  // The document alone, when the only result is nested: it is that result.
  CHECK(encode(codec, *reply.find("RegisterResult")) == expected);
}

TEST_CASE("soap reply: strings go into the first result, null is an empty response", "[soap][reply]") {
  const SoapReplyCodec codec(Version::v1_1, ReplyShape{"Call", "urn:his", {"CallResult", "Code"}, {}, {}, {}, ""});
  CHECK(encode(codec, Value("<ok/>")) ==
        head11 + "<CallResponse xmlns=\"urn:his\"><CallResult>&lt;ok/&gt;</CallResult></CallResponse>" + tail);
  CHECK(encode(codec, Value(7)) ==
        head11 + "<CallResponse xmlns=\"urn:his\"><CallResult>7</CallResult></CallResponse>" + tail);
  CHECK(encode(codec, Value()) == head11 + "<CallResponse xmlns=\"urn:his\"/>" + tail);
  // The declared results in their declared order (a Lua table has none), then the rest.
  CHECK(encode(codec, Value(Object{{"Extra", Value("e")}, {"Code", Value("0")}, {"CallResult", Value("x")}})) ==
        head11 +
            "<CallResponse xmlns=\"urn:his\"><CallResult>x</CallResult><Code>0</Code><Extra>e</Extra></CallResponse>" +
            tail);
  auto array = codec.encode(Value(Array{Value(1)}));
  REQUIRE(!array);
  CHECK(array.error().kind == ErrorKind::flow);
}

TEST_CASE("soap reply: SOAP 1.2 envelope and content type, CDATA results", "[soap][reply]") {
  ReplyShape shape = register_shape();
  shape.cdata = {"RegisterResult"};
  const SoapReplyCodec codec(Version::v1_2, shape);
  CHECK(codec.content_type() == "application/soap+xml; charset=utf-8");
  const std::string out = encode(codec, Value(Object{{"Response", Value(Object{{"A", Value("1")}})}}));
  CHECK(out ==
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope "
        "xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>"
        "<RegisterResponse "
        "xmlns=\"http://tempuri.org/\"><RegisterResult><![CDATA[<Response><A>1</A></Response>]]></RegisterResult>"
        "</RegisterResponse>" +
            tail);
}

TEST_CASE("soap reply: GBK replies are converted and declared, decode reads them back", "[soap][reply]") {
  const SoapReplyCodec codec(Version::v1_1, register_shape("GBK"));
  CHECK(codec.content_type() == "text/xml; charset=GBK");
  const Value reply(
      Object{{"RegisterResult", Value(Object{{"Response", Value(Object{{"DeptName", Value("内科")}})}})}});
  const std::string out = encode(codec, reply);
  CHECK(out.starts_with("<?xml version=\"1.0\" encoding=\"GBK\"?>"));
  CHECK(out.find("\xC4\xDA\xBF\xC6") != std::string::npos);  // 内科 in GBK
  CHECK(out.find("内科") == std::string::npos);

  auto back = codec.decode(make_buffer(out));
  REQUIRE(back);
  CHECK(*back == Value(Object{{"RegisterResponse", reply}}));
}

TEST_CASE("soap reply: decode refuses a fault and the other version", "[soap][reply]") {
  const SoapReplyCodec v11(Version::v1_1, register_shape());
  const SoapReplyCodec v12(Version::v1_2, register_shape());
  auto other = v11.decode(make_buffer(encode(v12, Value("x"))));
  REQUIRE(!other);
  CHECK(other.error().message.find("SOAP 1.2 envelope") != std::string::npos);
  auto fault = v11.decode(make_buffer(write_fault(Version::v1_1, Fault{"Server", "", "HIS down", "", Value()})));
  REQUIRE(!fault);
  CHECK(fault.error().message == "SOAP fault Server: HIS down");
}
