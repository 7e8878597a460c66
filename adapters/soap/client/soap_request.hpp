#pragma once
// The HTTP request of one soap call: the operation's envelope from the call's body, in the
// endpoint's charset, with the version's Content-Type and action.

#include <string>
#include <string_view>

#include "adapters/http/client/http_client.hpp"
#include "adapters/soap/client/soap_settings.hpp"
#include "core/endpoint.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::soap {

// The body element's content for `body`: a body { Register = … } whose only key is the
// operation is the element itself (not wrapped twice); an object is its children, a scalar its
// text, null nothing. A list cannot be an element's content (bad_input).
Expected<Value> operation_content(const SoapSettings& settings, std::string_view operation, const Value& body);

// The envelope's bytes, in the endpoint's charset; `header` is the SOAP Header's content or
// null. Errors are bad_input naming the endpoint: the body came from the flow.
Expected<std::string> request_envelope(const SoapSettings& settings, std::string_view operation, const Value& body,
                                       const Value& header);

// POST to the url: the envelope (with the WS-Security header when configured), Content-Type
// and SOAPAction (1.1) or the action parameter (1.2), then the configured and the call's headers.
Expected<http::Request> build_soap_request(const SoapSettings& settings, const http::HttpClient& client,
                                           std::string_view operation, const CallRequest& call);

}  // namespace qiao::soap
