#pragma once
// A soap endpoint's configuration, read once per generation and shared by every worker's
// endpoint: the HTTP transport (url, headers, tls, timeouts, pool) and what the envelopes of
// each operation look like.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/client/client_settings.hpp"
#include "adapters/soap/envelope.hpp"
#include "codecs/xml/xml_codec.hpp"
#include "core/config/schema.hpp"
#include "core/endpoint.hpp"

namespace qiao::soap {

enum class PasswordType { text, digest };

// WS-Security UsernameToken credentials, sent in the Header of every request.
struct UsernameToken {
  std::string username;
  std::string password;
  PasswordType password_type = PasswordType::text;
};

// How one operation's envelopes are written and read.
struct OperationOptions {
  // SOAPAction (1.1) or the action parameter (1.2), where "{operation}" stands for the called operation's name.
  std::string action_template;
  // nested= and cdata= for the request's body, nested= and arrays= for the reply's.
  xml::Options xml;
  // The operation element's children in the schema's order; written first, in it.
  std::vector<std::string> params;
};

struct SoapSettings {
  std::shared_ptr<const http::ClientSettings> client;
  Version version = Version::v1_1;
  std::string namespace_uri;      // of the operation elements
  bool qualified = true;          // <Register xmlns="ns"> rather than <ns:Register xmlns:ns="ns">
  std::string default_operation;  // for calls that name none; may be empty
  std::string charset;            // normalized; empty: UTF-8
  std::optional<UsernameToken> security;
  Value header;  // SOAP Header elements of every request (an object, after WS-Security's); null for none
  OperationOptions defaults;
  std::map<std::string, OperationOptions, std::less<>> operations;  // per-operation overrides, complete

  const OperationOptions& options_for(std::string_view operation) const;
  // The action for `operation`: its template with {operation} replaced.
  std::string action_for(std::string_view operation) const;
  // "endpoint '<name>': <what>"
  Error fail(ErrorKind kind, const std::string& what) const { return client->fail(kind, what); }
};

Schema soap_endpoint_keys();

// nullptr after errors reported to `diag` as "endpoint '<name>': soap: …".
std::shared_ptr<const SoapSettings> parse_soap_settings(const ConfigNode& config, EndpointCommon common,
                                                        Diagnostics& diag);

}  // namespace qiao::soap
