#include "adapters/soap/client/soap_request.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <utility>

#include "adapters/soap/client/ws_security.hpp"

namespace qiao::soap {

namespace bhttp = boost::beast::http;

Expected<Value> operation_content(const SoapSettings& settings, std::string_view operation, const Value& body) {
  if (body.is_array()) {
    return settings.fail(ErrorKind::bad_input, "the body of operation '" + std::string(operation) +
                                                   "' must be an object, a string or null, not a list");
  }
  if (body.is_object() && body.as_object().size() == 1) {
    const auto& [name, member] = *body.as_object().begin();
    if (name == operation) return operation_content(settings, operation, member);
  }
  return body;
}

Expected<std::string> request_envelope(const SoapSettings& settings, std::string_view operation, const Value& body,
                                       const Value& header) {
  auto content = operation_content(settings, operation, body);
  if (!content) return std::move(content).error();
  BodyElement element;
  element.name = std::string(operation);
  element.namespace_uri = settings.namespace_uri;
  element.qualified = settings.qualified;
  element.content = std::move(*content);
  const OperationOptions& options = settings.options_for(operation);
  element.order = options.params;
  auto envelope = write_envelope(settings.version, header, element, options.xml, settings.charset);
  if (!envelope) return settings.fail(ErrorKind::bad_input, "cannot encode the request: " + envelope.error().message);
  return envelope;
}

Expected<http::Request> build_soap_request(const SoapSettings& settings, const http::HttpClient& client,
                                           std::string_view operation, const CallRequest& call) {
  // The configured header is built once; only a WS-Security token (a fresh nonce) is per call.
  Value with_token;
  if (settings.security) {
    auto token = username_token_header(*settings.security);
    if (!token) return settings.fail(token.error().kind, token.error().message);
    with_token = std::move(*token);
    if (settings.header.is_object())
      for (const auto& [name, element] : settings.header.as_object()) with_token.as_object().push_back(name, element);
  }
  auto envelope = request_envelope(settings, operation, call.body, settings.security ? with_token : settings.header);
  if (!envelope) return std::move(envelope).error();

  const std::string action = settings.action_for(operation);
  http::Request request = client.make_request(bhttp::verb::post);
  request.set(bhttp::field::content_type, content_type(settings.version, settings.charset, action));
  // SOAP 1.1 requires the header, quoted, even when the action is empty (""); 1.2 carries the
  // action in the Content-Type instead.
  if (settings.version == Version::v1_1) request.set("SOAPAction", "\"" + action + "\"");
  request.body() = std::move(*envelope);
  if (auto added = client.add_headers(request, call.headers); !added) return std::move(added).error();
  request.prepare_payload();
  return request;
}

}  // namespace qiao::soap
