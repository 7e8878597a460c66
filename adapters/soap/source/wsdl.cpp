#include "adapters/soap/source/wsdl.hpp"

namespace qiao::soap {

namespace {

// Names are checked as XML names when the config is read; namespaces, actions and the
// location (which comes from the request's Host header) are escaped here.
std::string attribute(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
  return out;
}

void append_element(std::string& out, const std::string& name, const std::vector<std::string>& children) {
  out += "<s:element name=\"" + name + "\"><s:complexType>";
  if (!children.empty()) {
    out += "<s:sequence>";
    for (const auto& child : children) {
      out += "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"" + child + "\" type=\"s:string\"/>";
    }
    out += "</s:sequence>";
  }
  out += "</s:complexType></s:element>";
}

void append_binding(std::string& out, const WsdlService& service, std::string_view soap_prefix,
                    std::string_view suffix) {
  const std::string p(soap_prefix);
  out += "<wsdl:binding name=\"" + service.name + std::string(suffix) + "\" type=\"tns:" + service.name + "Soap\">";
  out += "<" + p + ":binding transport=\"http://schemas.xmlsoap.org/soap/http\"/>";
  for (const auto& op : service.operations) {
    out += "<wsdl:operation name=\"" + op.name + "\">";
    out += "<" + p + ":operation soapAction=\"" + attribute(op.action) + "\" style=\"document\"/>";
    out += "<wsdl:input><" + p + ":body use=\"literal\"/></wsdl:input>";
    out += "<wsdl:output><" + p + ":body use=\"literal\"/></wsdl:output>";
    out += "</wsdl:operation>";
  }
  out += "</wsdl:binding>";
}

}  // namespace

std::string generate_wsdl(const WsdlService& service, std::string_view location) {
  const std::string ns = attribute(service.namespace_uri);
  std::string out;
  out.reserve(2048 + service.operations.size() * 1024);
  out += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  out +=
      "<wsdl:definitions xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\""
      " xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\""
      " xmlns:soap12=\"http://schemas.xmlsoap.org/wsdl/soap12/\""
      " xmlns:s=\"http://www.w3.org/2001/XMLSchema\""
      " xmlns:tns=\"" +
      ns + "\" targetNamespace=\"" + ns + "\">";

  out += "<wsdl:types><s:schema elementFormDefault=\"qualified\" targetNamespace=\"" + ns + "\">";
  for (const auto& op : service.operations) {
    append_element(out, op.name, op.params);
    append_element(out, op.name + "Response", op.results);
  }
  out += "</s:schema></wsdl:types>";

  for (const auto& op : service.operations) {
    out += "<wsdl:message name=\"" + op.name + "SoapIn\"><wsdl:part name=\"parameters\" element=\"tns:" + op.name +
           "\"/></wsdl:message>";
    out += "<wsdl:message name=\"" + op.name + "SoapOut\"><wsdl:part name=\"parameters\" element=\"tns:" + op.name +
           "Response\"/></wsdl:message>";
  }

  out += "<wsdl:portType name=\"" + service.name + "Soap\">";
  for (const auto& op : service.operations) {
    out += "<wsdl:operation name=\"" + op.name + "\"><wsdl:input message=\"tns:" + op.name +
           "SoapIn\"/><wsdl:output message=\"tns:" + op.name + "SoapOut\"/></wsdl:operation>";
  }
  out += "</wsdl:portType>";

  append_binding(out, service, "soap", "Soap");
  append_binding(out, service, "soap12", "Soap12");

  const std::string address = attribute(location);
  out += "<wsdl:service name=\"" + service.name + "\">";
  out += "<wsdl:port name=\"" + service.name + "Soap\" binding=\"tns:" + service.name +
         "Soap\"><soap:address location=\"" + address + "\"/></wsdl:port>";
  out += "<wsdl:port name=\"" + service.name + "Soap12\" binding=\"tns:" + service.name +
         "Soap12\"><soap12:address location=\"" + address + "\"/></wsdl:port>";
  out += "</wsdl:service></wsdl:definitions>\n";
  return out;
}

}  // namespace qiao::soap
