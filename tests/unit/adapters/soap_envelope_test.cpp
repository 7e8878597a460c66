#include <catch2/catch.hpp>
#include <string>
#include <variant>

#include "adapters/soap/envelope.hpp"
#include "core/text/charset.hpp"

using namespace qiao;
using namespace qiao::soap;

namespace {

Envelope must_read(const std::string& text, const xml::Options& options = {}) {
  auto result = read_envelope(make_buffer(std::string(text)), options);
  if (auto* error = std::get_if<EnvelopeError>(&result)) FAIL(error->error.message);
  return std::get<Envelope>(std::move(result));
}

EnvelopeError must_fail(const std::string& text) {
  auto result = read_envelope(make_buffer(std::string(text)), {});
  REQUIRE(std::holds_alternative<EnvelopeError>(result));
  return std::get<EnvelopeError>(std::move(result));
}

xml::Options nested(std::initializer_list<std::string> names) {
  xml::Options options;
  options.nested = names;
  return options;
}

}  // namespace

TEST_CASE("soap envelope: a 1.1 request from an .asmx client, nested XML string decoded", "[soap]") {
  const Envelope envelope = must_read(
      R"(<?xml version="1.0" encoding="utf-8"?>)"
      R"(<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
      R"(<soap:Body><Register xmlns="http://tempuri.org/"><funcCode>1001</funcCode>)"
      R"(<inXml>&lt;Request&gt;&lt;PatientID&gt;P001&lt;/PatientID&gt;&lt;Name&gt;张三&lt;/Name&gt;&lt;/Request&gt;</inXml>)"
      R"(</Register></soap:Body></soap:Envelope>)",
      nested({"inXml"}));
  CHECK(envelope.version == Version::v1_1);
  CHECK(envelope.element == "Register");
  CHECK(envelope.element_namespace == "http://tempuri.org/");
  CHECK(envelope.header.is_null());
  CHECK_FALSE(envelope.fault);
  CHECK(envelope.content ==
        Value(Object{
            {"funcCode", Value("1001")},
            {"inXml",
             Value(Object{{"Request", Value(Object{{"PatientID", Value("P001")}, {"Name", Value("张三")}})}})}}));
}

TEST_CASE("soap envelope: a 1.2 request with prefixes everywhere and a WS-Security header", "[soap]") {
  const Envelope envelope = must_read(
      R"(<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tns="http://his.example/">)"
      R"(<env:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">)"
      R"(<wsse:UsernameToken><wsse:Username>kiosk</wsse:Username></wsse:UsernameToken></wsse:Security></env:Header>)"
      R"(<env:Body><tns:QueryDept><tns:date>2026-11-22</tns:date></tns:QueryDept></env:Body></env:Envelope>)");
  CHECK(envelope.version == Version::v1_2);
  CHECK(envelope.element == "QueryDept");
  CHECK(envelope.element_namespace == "http://his.example/");
  CHECK(envelope.content == Value(Object{{"date", Value("2026-11-22")}}));
  const Value* username = envelope.header.find_path("Security.UsernameToken.Username");
  REQUIRE(username);
  CHECK(username->as_string() == "kiosk");
}

TEST_CASE("soap envelope: an empty operation element is an empty object", "[soap]") {
  const Envelope envelope = must_read(
      R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Ping xmlns="urn:x"/></s:Body></s:Envelope>)");
  CHECK(envelope.element == "Ping");
  CHECK(envelope.content == Value(Object{}));
}

TEST_CASE("soap envelope: names that differ only in their prefixes keep them", "[soap]") {
  const Envelope envelope = must_read(
      R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:a" xmlns:b="urn:b"><s:Body>)"
      R"(<Q xmlns="urn:x" a:id="1" id="2"><a:date>d1</a:date><b:date>d2</b:date></Q></s:Body></s:Envelope>)");
  CHECK(envelope.content ==
        Value(Object{{"@a:id", Value("1")}, {"@id", Value("2")}, {"date", Value("d1")}, {"b:date", Value("d2")}}));
}

TEST_CASE("soap envelope: faults of both versions are read into code, reason, actor and detail", "[soap]") {
  const Envelope v11 = must_read(
      R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>)"
      R"(<faultcode>soap:Server</faultcode><faultstring>号源已满</faultstring><faultactor>urn:his</faultactor>)"
      R"(<detail><Reason>NoSchedule</Reason></detail></soap:Fault></soap:Body></soap:Envelope>)");
  REQUIRE(v11.fault);
  CHECK(v11.fault->code == "Server");
  CHECK(v11.fault->reason == "号源已满");
  CHECK(v11.fault->actor == "urn:his");
  CHECK(v11.fault->detail == Value(Object{{"Reason", Value("NoSchedule")}}));

  const Envelope v12 = must_read(
      R"(<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault>)"
      R"(<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>app:BadCard</env:Value></env:Subcode></env:Code>)"
      R"(<env:Reason><env:Text xml:lang="en">card unknown</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>)");
  REQUIRE(v12.fault);
  CHECK(v12.fault->code == "Sender");
  CHECK(v12.fault->subcode == "app:BadCard");
  CHECK(v12.fault->reason == "card unknown");
  CHECK(v12.fault->detail.is_null());
}

TEST_CASE("soap envelope: a 1.2 Fault inside a 1.1 envelope is read by its names", "[soap]") {
  const Envelope mixed = must_read(
      R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>)"
      R"(<soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text>no department</soap:Text></soap:Reason>)"
      R"(</soap:Fault></soap:Body></soap:Envelope>)");
  REQUIRE(mixed.fault);
  CHECK(mixed.version == Version::v1_1);
  CHECK(mixed.fault->code == "Sender");
  CHECK(mixed.fault->reason == "no department");
}

TEST_CASE("soap envelope: a Fault element outside the envelope's namespace is an operation", "[soap]") {
  const Envelope envelope = must_read(
      R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Fault xmlns="urn:app"><id>1</id></Fault></soap:Body></soap:Envelope>)");
  CHECK_FALSE(envelope.fault);
  CHECK(envelope.element == "Fault");
}

TEST_CASE("soap envelope: what is not an envelope says why", "[soap]") {
  CHECK(must_fail("<Request/>").error.message == "not a SOAP envelope: the root element is <Request>");
  CHECK(must_fail(R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>)").error.message ==
        "not a SOAP envelope: the Envelope has no Body");
  CHECK(must_fail(
            R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/></soap:Envelope>)")
            .error.message == "not a SOAP envelope: the Envelope has no Body");
  CHECK(
      must_fail(R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>)")
          .error.message == "not a SOAP envelope: the Body is empty");
  const EnvelopeError broken =
      must_fail(R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>)");
  CHECK(broken.error.kind == ErrorKind::bad_input);
  CHECK_THAT(broken.error.message, Catch::StartsWith("xml: "));
  CHECK_FALSE(broken.version_mismatch);

  const EnvelopeError other =
      must_fail(R"(<e:Envelope xmlns:e="http://example.org/soap"><e:Body><x/></e:Body></e:Envelope>)");
  CHECK(other.version_mismatch);
  CHECK_THAT(other.error.message,
             Catch::StartsWith("the Envelope's namespace 'http://example.org/soap' is neither SOAP 1.1"));
}

TEST_CASE("soap envelope: written qualified or prefixed, nested XML escaped once, header first", "[soap]") {
  xml::Options options;
  options.nested = {"RegisterResult"};
  BodyElement body{
      "RegisterResponse",
      "http://tempuri.org/",
      true,
      Value(Object{{"RegisterResult",
                    Value(Object{{"Response", Value(Object{{"ResultCode", Value("0")}, {"Msg", Value("a<b")}})}})}}),
      {}};
  auto text = write_envelope(Version::v1_1, Value(), body, options, "");
  REQUIRE(text);
  CHECK(
      *text ==
      R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
      R"(<soap:Body><RegisterResponse xmlns="http://tempuri.org/"><RegisterResult>&lt;Response&gt;&lt;ResultCode&gt;0&lt;/ResultCode&gt;)"
      R"(&lt;Msg&gt;a&amp;lt;b&lt;/Msg&gt;&lt;/Response&gt;</RegisterResult></RegisterResponse></soap:Body></soap:Envelope>)");

  // Read back with the same option: the same tree.
  const Envelope back = must_read(*text, options);
  CHECK(back.content == body.content);

  BodyElement java{"query", "http://his.example/", false, Value(Object{{"arg0", Value("x")}}), {}};
  Value header(
      Object{{"wsse:Security", Value(Object{{"@xmlns:wsse", Value("urn:wsse")}, {"wsse:Username", Value("u")}})}});
  auto prefixed = write_envelope(Version::v1_2, header, java, {}, "");
  REQUIRE(prefixed);
  CHECK(
      *prefixed ==
      R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">)"
      R"(<soap:Header><wsse:Security xmlns:wsse="urn:wsse"><wsse:Username>u</wsse:Username></wsse:Security></soap:Header>)"
      R"(<soap:Body><ns:query xmlns:ns="http://his.example/"><arg0>x</arg0></ns:query></soap:Body></soap:Envelope>)");
}

TEST_CASE("soap envelope: GBK written and declared, read back by its declaration", "[soap]") {
  BodyElement body{"QueryResponse", "urn:his", true, Value(Object{{"Name", Value("张三")}}), {}};
  auto bytes = write_envelope(Version::v1_1, Value(), body, {}, "GBK");
  REQUIRE(bytes);
  CHECK(bytes->starts_with(R"(<?xml version="1.0" encoding="GBK"?>)"));
  CHECK(bytes->find("\xd5\xc5\xc8\xfd") != std::string::npos);  // 张三 in GBK
  const Envelope back = must_read(*bytes);
  CHECK(back.content == body.content);

  BodyElement unwritable{"R", "", true, Value(Object{{"Name", Value("😀")}}), {}};
  auto refused = write_envelope(Version::v1_1, Value(), unwritable, {}, "GBK");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::flow);
}

TEST_CASE("soap envelope: faults are written in each version's words and read back", "[soap]") {
  Fault fault{"Client", "", "patientId is required", "",
              Value(Object{{"messageId", Value("18f3a")}, {"code", Value("check_failed")}})};
  const std::string v11 = write_fault(Version::v1_1, fault);
  CHECK(
      v11 ==
      R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>)"
      R"(<soap:Fault><faultcode>soap:Client</faultcode><faultstring>patientId is required</faultstring>)"
      R"(<detail><messageId>18f3a</messageId><code>check_failed</code></detail></soap:Fault></soap:Body></soap:Envelope>)");
  const Envelope back11 = must_read(v11);
  REQUIRE(back11.fault);
  CHECK(back11.fault->code == "Client");
  CHECK(back11.fault->detail == fault.detail);

  fault.code = "Sender";
  const std::string v12 = write_fault(Version::v1_2, fault);
  CHECK(
      v12.find(
          R"(<soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">patientId is required</soap:Text></soap:Reason><soap:Detail>)") !=
      std::string::npos);
  const Envelope back12 = must_read(v12);
  REQUIRE(back12.fault);
  CHECK(back12.fault->code == "Sender");
  CHECK(back12.fault->reason == "patientId is required");
  CHECK(back12.fault->detail == fault.detail);

  // A detail that cannot be XML does not stop the fault.
  Fault odd{"Server", "", "failed", "", Value(Object{{"not a name", Value("x")}})};
  const Envelope back_odd = must_read(write_fault(Version::v1_1, odd));
  REQUIRE(back_odd.fault);
  CHECK(back_odd.fault->reason == "failed");
  CHECK(back_odd.fault->detail.is_null());
}

TEST_CASE("soap envelope: content types and fault statuses", "[soap]") {
  CHECK(content_type(Version::v1_1, "", "http://tempuri.org/Register") == "text/xml; charset=utf-8");
  CHECK(content_type(Version::v1_2, "GBK", "http://tempuri.org/Register") ==
        R"(application/soap+xml; charset=GBK; action="http://tempuri.org/Register")");
  CHECK(content_type(Version::v1_2, "", "") == "application/soap+xml; charset=utf-8");
  CHECK(fault_status(Version::v1_1, true) == 500);
  CHECK(fault_status(Version::v1_2, true) == 400);
  CHECK(fault_status(Version::v1_2, false) == 500);
  CHECK(is_sender_fault(ErrorKind::check_failed));
  CHECK_FALSE(is_sender_fault(ErrorKind::timeout));
}
