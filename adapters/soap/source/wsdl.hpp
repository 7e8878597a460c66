#pragma once
// The WSDL a SOAP source serves at `path?wsdl` when the user gave none: document/literal
// wrapped, shaped like an ASP.NET .asmx service's, so that .NET, Java and Node SOAP stacks
// generate clients from it unchanged. A pure function of the declared operations.

#include <string>
#include <string_view>
#include <vector>

namespace qiao::soap {

struct WsdlOperation {
  std::string name;                  // also the request element
  std::string action;                // soapAction in both bindings
  std::vector<std::string> params;   // the request element's children, xs:string, optional
  std::vector<std::string> results;  // the <name>Response element's children, xs:string, optional
};

struct WsdlService {
  std::string name;           // wsdl:service; the port types and bindings are <name>Soap, <name>Soap12
  std::string namespace_uri;  // targetNamespace of the definitions and the schema
  std::vector<WsdlOperation> operations;
};

// `location` is the service's absolute URL ("http://10.0.0.5:8090/HisService.asmx"), written
// into both ports' addresses. The text is UTF-8 with its declaration.
std::string generate_wsdl(const WsdlService& service, std::string_view location);

}  // namespace qiao::soap
