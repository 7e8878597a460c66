#pragma once
// What a SOAP request's HTTP header says before its envelope is read: the version it claims
// (Content-Type text/xml is 1.1, application/soap+xml is 1.2) and the action it names (the
// SOAPAction header of 1.1, quotes stripped; the `action` parameter of the 1.2 Content-Type),
// and the charset of an envelope that declares none.

#include <string>

#include "adapters/http/server/http_server.hpp"
#include "adapters/soap/envelope.hpp"

namespace qiao::soap {

struct RequestAction {
  Version version_hint = Version::v1_1;  // the envelope's namespace decides; this words early faults
  std::string action;                    // empty when the request names none
  std::string charset;                   // the Content-Type's, normalized; empty for UTF-8 or none
};

RequestAction read_request_action(const http::Request& request);

}  // namespace qiao::soap
