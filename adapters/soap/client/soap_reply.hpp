#pragma once
// What a soap call returns to the flow: the response element's content, or the peer's Fault as
// an upstream error whose detail (faultcode, faultstring …) a flow routes on.

#include <string_view>

#include "adapters/http/client/http_client.hpp"
#include "adapters/soap/client/soap_settings.hpp"
#include "adapters/soap/envelope.hpp"
#include "core/endpoint.hpp"
#include "core/error.hpp"

namespace qiao::soap {

// upstream, "endpoint 'his': SOAP fault Server: <faultstring>", with the detail
// { faultcode, faultsubcode?, faultstring, faultactor?, faultdetail? }.
Error fault_error(const SoapSettings& settings, const Fault& fault);

// A Fault, whatever the HTTP status, is fault_error. Otherwise a status ≥ 400 is the HTTP
// client's status error, a reply that is no envelope an upstream error, and an envelope the
// body { RegisterResult = … } (nested XML decoded, as the operation's options say). 202 and 204
// without a body (one-way operations) are a success with a null body.
Expected<CallResponse> read_soap_reply(const SoapSettings& settings, std::string_view operation,
                                       http::Response&& response);

}  // namespace qiao::soap
