// The generated WSDL: well-formed, document/literal wrapped like an .asmx service's, with each
// operation's elements, messages, SOAP 1.1 and 1.2 bindings and both ports at the location.

#include <catch2/catch.hpp>
#include <string>

#include "adapters/soap/source/wsdl.hpp"
#include "codecs/xml/xml_codec.hpp"

using namespace qiao;
using namespace qiao::soap;

namespace {

WsdlService his_service() {
  WsdlService service;
  service.name = "HisService";
  service.namespace_uri = "http://tempuri.org/";
  service.operations.push_back({"Register", "http://tempuri.org/Register", {"funcCode", "inXml"}, {"RegisterResult"}});
  service.operations.push_back({"QueryDept", "urn:his#QueryDept", {"input"}, {"QueryDeptResult", "Count"}});
  return service;
}

Value parse(const std::string& text) {
  auto doc = xml::decode(make_buffer(text), xml::Options{});
  INFO(text);
  REQUIRE(doc);
  return std::move(*doc);
}

const Value& at(const Value& v, std::string_view dotted) {
  const Value* found = v.find_path(dotted);
  INFO(dotted);
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("soap wsdl: definitions, schema elements and messages of each operation", "[soap][wsdl]") {
  const std::string text = generate_wsdl(his_service(), "http://10.0.0.5:8090/HisService.asmx");
  CHECK(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<wsdl:definitions "));
  const Value doc = parse(text);
  const Value& defs = at(doc, "wsdl:definitions");
  CHECK(at(defs, "@targetNamespace").as_string() == "http://tempuri.org/");
  CHECK(at(defs, "@xmlns:tns").as_string() == "http://tempuri.org/");
  CHECK(at(defs, "@xmlns:s").as_string() == "http://www.w3.org/2001/XMLSchema");

  const Value& schema = at(defs, "wsdl:types.s:schema");
  CHECK(at(schema, "@elementFormDefault").as_string() == "qualified");
  CHECK(at(schema, "@targetNamespace").as_string() == "http://tempuri.org/");
  const Array& elements = at(schema, "s:element").as_array();
  REQUIRE(elements.size() == 4);
  CHECK(at(elements[0], "@name").as_string() == "Register");
  const Array& params = at(elements[0], "s:complexType.s:sequence.s:element").as_array();
  REQUIRE(params.size() == 2);
  CHECK(at(params[0], "@name").as_string() == "funcCode");
  CHECK(at(params[0], "@type").as_string() == "s:string");
  CHECK(at(params[0], "@minOccurs").as_string() == "0");
  CHECK(at(params[1], "@name").as_string() == "inXml");
  CHECK(at(elements[1], "@name").as_string() == "RegisterResponse");
  CHECK(at(elements[1], "s:complexType.s:sequence.s:element.@name").as_string() == "RegisterResult");
  CHECK(at(elements[2], "@name").as_string() == "QueryDept");
  CHECK(at(elements[3], "@name").as_string() == "QueryDeptResponse");
  CHECK(at(elements[3], "s:complexType.s:sequence.s:element").as_array().size() == 2);

  const Array& messages = at(defs, "wsdl:message").as_array();
  REQUIRE(messages.size() == 4);
  CHECK(at(messages[0], "@name").as_string() == "RegisterSoapIn");
  CHECK(at(messages[0], "wsdl:part.@element").as_string() == "tns:Register");
  CHECK(at(messages[1], "@name").as_string() == "RegisterSoapOut");
  CHECK(at(messages[1], "wsdl:part.@element").as_string() == "tns:RegisterResponse");
  CHECK(at(messages[1], "wsdl:part.@name").as_string() == "parameters");

  CHECK(at(defs, "wsdl:portType.@name").as_string() == "HisServiceSoap");
  const Array& port_ops = at(defs, "wsdl:portType.wsdl:operation").as_array();
  REQUIRE(port_ops.size() == 2);
  CHECK(at(port_ops[1], "wsdl:input.@message").as_string() == "tns:QueryDeptSoapIn");
  CHECK(at(port_ops[1], "wsdl:output.@message").as_string() == "tns:QueryDeptSoapOut");
}

TEST_CASE("soap wsdl: a SOAP 1.1 and a SOAP 1.2 binding, two ports at the location", "[soap][wsdl]") {
  const Value doc = parse(generate_wsdl(his_service(), "https://gw.example:8443/HisService.asmx"));
  const Value& defs = at(doc, "wsdl:definitions");
  const Array& bindings = at(defs, "wsdl:binding").as_array();
  REQUIRE(bindings.size() == 2);
  CHECK(at(bindings[0], "@name").as_string() == "HisServiceSoap");
  CHECK(at(bindings[0], "@type").as_string() == "tns:HisServiceSoap");
  CHECK(at(bindings[0], "soap:binding.@transport").as_string() == "http://schemas.xmlsoap.org/soap/http");
  const Array& ops11 = at(bindings[0], "wsdl:operation").as_array();
  CHECK(at(ops11[0], "soap:operation.@soapAction").as_string() == "http://tempuri.org/Register");
  CHECK(at(ops11[0], "soap:operation.@style").as_string() == "document");
  CHECK(at(ops11[0], "wsdl:input.soap:body.@use").as_string() == "literal");
  CHECK(at(ops11[1], "soap:operation.@soapAction").as_string() == "urn:his#QueryDept");

  CHECK(at(bindings[1], "@name").as_string() == "HisServiceSoap12");
  CHECK(at(bindings[1], "@type").as_string() == "tns:HisServiceSoap");
  CHECK(at(bindings[1], "soap12:binding.@transport").as_string() == "http://schemas.xmlsoap.org/soap/http");
  const Array& ops12 = at(bindings[1], "wsdl:operation").as_array();
  CHECK(at(ops12[0], "soap12:operation.@soapAction").as_string() == "http://tempuri.org/Register");
  CHECK(at(ops12[1], "wsdl:output.soap12:body.@use").as_string() == "literal");
  CHECK(at(defs, "@xmlns:soap12").as_string() == "http://schemas.xmlsoap.org/wsdl/soap12/");

  CHECK(at(defs, "wsdl:service.@name").as_string() == "HisService");
  const Array& ports = at(defs, "wsdl:service.wsdl:port").as_array();
  REQUIRE(ports.size() == 2);
  CHECK(at(ports[0], "@binding").as_string() == "tns:HisServiceSoap");
  CHECK(at(ports[0], "soap:address.@location").as_string() == "https://gw.example:8443/HisService.asmx");
  CHECK(at(ports[1], "@binding").as_string() == "tns:HisServiceSoap12");
  CHECK(at(ports[1], "soap12:address.@location").as_string() == "https://gw.example:8443/HisService.asmx");
}

TEST_CASE("soap wsdl: the location from a Host header cannot break out of its attribute", "[soap][wsdl]") {
  const std::string text = generate_wsdl(his_service(), "http://evil\"><x a=\"&/HisService.asmx");
  const Value doc = parse(text);
  const Array& ports = at(doc, "wsdl:definitions.wsdl:service.wsdl:port").as_array();
  CHECK(at(ports[0], "soap:address.@location").as_string() == "http://evil\"><x a=\"&/HisService.asmx");
}

TEST_CASE("soap wsdl: an operation without results has an empty response type", "[soap][wsdl]") {
  WsdlService service{"Svc", "urn:x", {{"Ping", "urn:x/Ping", {"input"}, {}}}};
  const std::string text = generate_wsdl(service, "http://h/p");
  CHECK(text.find("<s:element name=\"PingResponse\"><s:complexType></s:complexType></s:element>") != std::string::npos);
  (void)parse(text);
}
