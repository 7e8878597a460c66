// The soap endpoint's pure parts: configuration and its errors, actions, the request envelope
// from a call's body, the reply read into a body or a Fault error, and the WS-Security digest.
// The wire (HTTP, keep-alive, timeouts, GBK, routing on faults) is tests/integration/soap_endpoint_test.cpp.

#include "adapters/soap/client/soap_endpoint.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "adapters/soap/client/soap_reply.hpp"
#include "adapters/soap/client/soap_request.hpp"
#include "adapters/soap/client/soap_settings.hpp"
#include "adapters/soap/client/ws_security.hpp"
#include "core/config/config_node.hpp"

namespace {

using qiao::ErrorKind;
using qiao::Object;
using qiao::Value;
namespace soap = qiao::soap;

qiao::EndpointCommon common() {
  qiao::EndpointCommon out;
  out.name = "his";
  return out;
}

std::shared_ptr<const soap::SoapSettings> settings(const std::string& yaml) {
  auto node = qiao::ConfigNode::parse(yaml, "test.yaml");
  REQUIRE(node.has_value());
  qiao::Diagnostics diag;
  auto parsed = soap::parse_soap_settings(*node, common(), diag);
  INFO(diag.text());
  REQUIRE(parsed);
  return parsed;
}

std::string parse_errors(const std::string& yaml) {
  auto node = qiao::ConfigNode::parse(yaml, "test.yaml");
  REQUIRE(node.has_value());
  qiao::Diagnostics diag;
  auto parsed = soap::parse_soap_settings(*node, common(), diag);
  CHECK((parsed == nullptr) == !diag.ok());
  return diag.text();
}

qiao::http::Response reply(int status, std::string body, std::string content_type = "text/xml; charset=utf-8") {
  qiao::http::Response response{static_cast<boost::beast::http::status>(status), 11};
  if (!content_type.empty()) response.set(boost::beast::http::field::content_type, content_type);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string envelope11(const std::string& content) {
  return R"(<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>)" +
         content + "</s:Body></s:Envelope>";
}

}  // namespace

TEST_CASE("soap endpoint config: defaults, actions and per-operation overrides", "[soap][endpoint][config]") {
  auto s = settings(
      "url: http://127.0.0.1:8091/HisService.asmx\n"
      "nested: [RegisterResult]\n"
      "operations: { Query: { action: \"urn:q\", arrays: [Item] } }\n");
  CHECK(s->version == soap::Version::v1_1);
  CHECK(s->namespace_uri == "http://tempuri.org/");
  CHECK(s->qualified);
  CHECK(s->charset.empty());
  CHECK(s->action_for("Register") == "http://tempuri.org/Register");
  CHECK(s->action_for("Query") == "urn:q");
  CHECK(s->options_for("Register").xml.nested == std::vector<std::string>{"RegisterResult"});
  // An operation's lists replace the endpoint's only where it names them.
  CHECK(s->options_for("Query").xml.nested == std::vector<std::string>{"RegisterResult"});
  CHECK(s->options_for("Query").xml.arrays == std::vector<std::string>{"Item"});
  CHECK(s->options_for("Register").xml.arrays.empty());

  CHECK(settings("url: http://h/x\nnamespace: urn:his\n")->action_for("Ping") == "urn:his/Ping");
  CHECK(settings("url: http://h/x\naction: \"{operation}#{operation}\"\n")->action_for("Ping") == "Ping#Ping");
  CHECK(settings("url: http://h/x\naction: \"\"\n")->action_for("Ping").empty());
  CHECK(settings("url: http://h/x\ncharset: gbk\n")->charset == "GBK");
  CHECK(settings("url: http://h/x\ncharset: utf-8\n")->charset.empty());
}

TEST_CASE("soap endpoint config: errors point at file:line:col", "[soap][endpoint][config]") {
  CHECK_THAT(parse_errors("version: \"1.1\"\n"), Catch::Contains("missing required key 'url'"));
  CHECK(parse_errors("url: http://h/x\nversion: \"1.3\"\n") ==
        "test.yaml:2:10: endpoint 'his': soap: version '1.3' is not \"1.1\" or \"1.2\"\n");
  CHECK_THAT(parse_errors("url: ftp://h/x\n"), Catch::StartsWith("test.yaml:1:6: ") && Catch::Contains("http://"));
  CHECK_THAT(parse_errors("url: http://h/x\ncharset: klingon\n"),
             Catch::StartsWith("test.yaml:2:10: ") && Catch::Contains("charset 'klingon'"));
  CHECK_THAT(parse_errors("url: http://h/x\nsecurity: { username: u, password: p, password_type: md5 }\n"),
             Catch::Contains("password_type 'md5' is not text or digest"));
  CHECK_THAT(parse_errors("url: http://h/x\nsecurity: { username: u }\n"),
             Catch::Contains("missing required key 'password'"));
  CHECK_THAT(parse_errors("url: http://h/x\noperations: { Ping: { nested: [a], verb: GET } }\n"),
             Catch::Contains("operations: Ping: unknown key 'verb'"));
  CHECK_THAT(parse_errors("url: http://h/x\ntls: { verify: false }\n"), Catch::Contains("use https://"));
  CHECK_THAT(parse_errors("url: http://h/x\nheaders: { Connection: close }\n"), Catch::Contains("set by the client"));
  CHECK_THAT(parse_errors("url: http://h/x\naction: \"a\\\"b\"\n"), Catch::Contains("action"));
  CHECK(parse_errors("url: https://h/x\nversion: \"1.2\"\nqualified: false\n").empty());
}

TEST_CASE("soap endpoint kind: name, codec, describe and a documented schema", "[soap][endpoint][config]") {
  auto kind = soap::make_soap_endpoint_kind();
  CHECK(kind->name() == "soap");
  CHECK(kind->default_codec() == "xml");
  auto node = qiao::ConfigNode::parse("url: http://127.0.0.1:8091/HisService.asmx\nversion: \"1.2\"\n", "test.yaml");
  REQUIRE(node.has_value());
  qiao::Diagnostics diag;
  auto spec = kind->parse(*node, common(), diag);
  REQUIRE(spec);
  CHECK(spec->describe() == "soap 1.2 http://127.0.0.1:8091/HisService.asmx");
  CHECK(spec->common().name == "his");
  for (const auto& key : kind->schema()) {
    INFO(key.name);
    CHECK_FALSE(key.description.empty());
  }
}

TEST_CASE("soap endpoint request: the operation element from the body", "[soap][endpoint][request]") {
  auto qualified = settings("url: http://h/x\nnested: [inXml]\n");
  const std::string head =
      R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>)";
  const std::string tail = "</soap:Body></soap:Envelope>";

  auto wrapped = soap::request_envelope(
      *qualified, "Register", Value(Object{{"Register", Value(Object{{"inXml", Value(Object{{"R", Value("1")}})}})}}),
      Value());
  REQUIRE(wrapped);
  CHECK(*wrapped ==
        head + R"(<Register xmlns="http://tempuri.org/"><inXml>&lt;R&gt;1&lt;/R&gt;</inXml></Register>)" + tail);

  auto text = soap::request_envelope(*qualified, "Echo", Value("a < b"), Value());
  REQUIRE(text);
  CHECK(*text == head + R"(<Echo xmlns="http://tempuri.org/">a &lt; b</Echo>)" + tail);

  auto empty = soap::request_envelope(*qualified, "Ping", Value(), Value());
  REQUIRE(empty);
  CHECK(*empty == head + R"(<Ping xmlns="http://tempuri.org/"/>)" + tail);

  // A single key that is not the operation is a child, not the element.
  auto other = soap::request_envelope(*qualified, "Ping", Value(Object{{"Pong", Value("1")}}), Value());
  REQUIRE(other);
  CHECK(*other == head + R"(<Ping xmlns="http://tempuri.org/"><Pong>1</Pong></Ping>)" + tail);

  auto unqualified = settings("url: http://h/x\nqualified: false\nnamespace: \"urn:his\"\n");
  auto prefixed = soap::request_envelope(*unqualified, "Query", Value(Object{{"id", Value(7)}}), Value());
  REQUIRE(prefixed);
  CHECK(*prefixed == head + R"(<ns:Query xmlns:ns="urn:his"><id>7</id></ns:Query>)" + tail);

  // An operation's params are written first, in the schema's order, whatever the body's order.
  auto ordered = settings("url: http://h/x\noperations:\n  Call: { params: [funcCode, inXml] }\n");
  auto call = soap::request_envelope(
      *ordered, "Call", Value(Object{{"extra", Value("x")}, {"inXml", Value("<a/>")}, {"funcCode", Value("1001")}}),
      Value());
  REQUIRE(call);
  CHECK(
      *call ==
      head +
          R"(<Call xmlns="http://tempuri.org/"><funcCode>1001</funcCode><inXml>&lt;a/&gt;</inXml><extra>x</extra></Call>)" +
          tail);

  auto list = soap::request_envelope(*qualified, "Ping", Value(qiao::Array{Value(1)}), Value());
  REQUIRE_FALSE(list);
  CHECK(list.error().kind == ErrorKind::bad_input);
  CHECK(list.error().message ==
        "endpoint 'his': the body of operation 'Ping' must be an object, a string or null, not a list");
}

TEST_CASE("soap endpoint reply: body, faults and what is not an envelope", "[soap][endpoint][reply]") {
  auto s = settings("url: http://h/x\nnested: [RegisterResult]\n");

  auto ok = soap::read_soap_reply(
      *s, "Register",
      reply(200,
            envelope11(
                R"(<RegisterResponse xmlns="http://tempuri.org/"><RegisterResult>&lt;R&gt;&lt;Code&gt;0&lt;/Code&gt;)"
                R"(&lt;/R&gt;</RegisterResult></RegisterResponse>)")));
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == Value(Object{{"RegisterResult", Value(Object{{"R", Value(Object{{"Code", Value("0")}})}})}}));
  CHECK(ok->headers.find("content-type")->as_string() == "text/xml; charset=utf-8");

  // A Fault counts whatever the status says.
  auto fault = soap::read_soap_reply(
      *s, "Register",
      reply(200, envelope11("<s:Fault><faultcode>s:Client</faultcode><faultstring>bad\nid</faultstring>"
                            "<faultactor>urn:a</faultactor><detail><E>1</E></detail></s:Fault>")));
  REQUIRE_FALSE(fault);
  CHECK(fault.error().kind == ErrorKind::upstream);
  CHECK(fault.error().message == "endpoint 'his': SOAP fault Client: bad id");
  REQUIRE(fault.error().detail);
  CHECK(*fault.error().detail == Object{{"faultcode", Value("Client")},
                                        {"faultstring", Value("bad\nid")},
                                        {"faultactor", Value("urn:a")},
                                        {"faultdetail", Value(Object{{"E", Value("1")}})}});

  auto html = soap::read_soap_reply(*s, "Register", reply(503, "<html>busy</html>", "text/html"));
  REQUIRE_FALSE(html);
  CHECK(html.error().kind == ErrorKind::upstream);
  CHECK(html.error().message == "endpoint 'his': HTTP 503 from http://h/x: <html>busy</html>");
  CHECK_FALSE(html.error().detail);

  auto not_xml = soap::read_soap_reply(*s, "Register", reply(200, "OK", "text/plain"));
  REQUIRE_FALSE(not_xml);
  CHECK(not_xml.error().kind == ErrorKind::upstream);
  CHECK_THAT(not_xml.error().message, Catch::StartsWith("endpoint 'his': reply is not a SOAP envelope: xml: "));

  auto other_root = soap::read_soap_reply(*s, "Register", reply(200, "<Response/>"));
  REQUIRE_FALSE(other_root);
  CHECK(other_root.error().message == "endpoint 'his': reply is not a SOAP envelope: the root element is <Response>");

  auto one_way = soap::read_soap_reply(*s, "Notify", reply(202, "", ""));
  REQUIRE(one_way);
  CHECK(one_way->status == 202);
  CHECK(one_way->body.is_null());

  // The reply's Content-Type names the charset of a document that declares none.
  auto gbk = soap::read_soap_reply(
      *s, "Query",
      reply(200,
            R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><QueryResponse>)"
            "<Name>\xD5\xC5\xC8\xFD</Name></QueryResponse></s:Body></s:Envelope>",
            "text/xml; charset=\"GBK\""));
  REQUIRE(gbk);
  CHECK(gbk->body == Value(Object{{"Name", Value("张三")}}));
}

TEST_CASE("soap endpoint WS-Security: PasswordDigest and the header", "[soap][endpoint][wssecurity]") {
  std::string nonce;
  for (int i = 0; i < 16; ++i) nonce += static_cast<char>(i);
  // Computed independently: base64(sha1(bytes(range(16)) + created + password)) in Python.
  CHECK(soap::password_digest(nonce, "2026-11-22T10:00:00.000Z", "s3cret") == "Me8Zq6AyZBN2XiJ43YmMqCmJcHI=");
  CHECK(soap::base64(nonce) == "AAECAwQFBgcICQoLDA0ODw==");

  soap::UsernameToken text{"kiosk", "pw", soap::PasswordType::text};
  auto header = soap::username_token_header(text);
  REQUIRE(header);
  const Value* token = header->find("wsse:Security")->find("wsse:UsernameToken");
  REQUIRE(token);
  CHECK(token->find("wsse:Username")->as_string() == "kiosk");
  CHECK(token->find("wsse:Password")->find("#text")->as_string() == "pw");
  CHECK(token->find("wsse:Nonce") == nullptr);

  soap::UsernameToken digest{"kiosk", "pw", soap::PasswordType::digest};
  auto first = soap::username_token_header(digest);
  auto second = soap::username_token_header(digest);
  REQUIRE(first);
  REQUIRE(second);
  const auto nonce_of = [](const Value& h) {
    return std::string(
        h.find("wsse:Security")->find("wsse:UsernameToken")->find("wsse:Nonce")->find("#text")->as_string());
  };
  CHECK(nonce_of(*first).size() == 24);
  CHECK(nonce_of(*first) != nonce_of(*second));
}

TEST_CASE("soap endpoint config: header elements in the endpoint's namespace unless they name their own",
          "[soap][endpoint][config]") {
  auto s = settings(
      "url: http://h/x\n"
      "namespace: \"urn:his\"\n"
      "header:\n"
      "  AuthHeader: { UserName: kiosk, Password: \"p&1\" }\n"
      "  Token: abc\n"
      "  h:Trace: { \"@xmlns:h\": \"urn:trace\", \"#text\": 7 }\n");
  auto written = soap::request_envelope(*s, "Ping", Value(), s->header);
  REQUIRE(written);
  CHECK(
      *written ==
      R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
      R"(<soap:Header><AuthHeader xmlns="urn:his"><UserName>kiosk</UserName><Password>p&amp;1</Password></AuthHeader>)"
      R"(<Token xmlns="urn:his">abc</Token><h:Trace xmlns:h="urn:trace">7</h:Trace></soap:Header>)"
      R"(<soap:Body><Ping xmlns="urn:his"/></soap:Body></soap:Envelope>)");

  CHECK_THAT(parse_errors("url: http://h/x\nheader:\n  \"1st\": x\n"),
             Catch::StartsWith("test.yaml:3:3: endpoint 'his': soap: header: ") && Catch::Contains("1st"));
}
