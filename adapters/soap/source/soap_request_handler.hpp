#pragma once
// Answers the requests of one SOAP listener: POST an envelope to an operation's flow, GET
// path?wsdl for the WSDL; everything else as a Fault the journal keeps.

#include <memory>
#include <string>

#include "adapters/http/server/http_server.hpp"
#include "core/host.hpp"

namespace qiao::soap {

std::shared_ptr<http::RequestHandler> make_soap_request_handler(std::string key, Host& host);

}  // namespace qiao::soap
