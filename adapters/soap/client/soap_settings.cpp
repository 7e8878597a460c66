#include "adapters/soap/client/soap_settings.hpp"

#include <utility>

#include "core/text/charset.hpp"

namespace qiao::soap {

namespace {

constexpr ConfigKey soap_keys[] = {
    http::client_url_key,
    {"version", KeyType::string, "1.1",
     "SOAP version: \"1.1\" (text/xml and a SOAPAction header) or \"1.2\" (application/soap+xml with an action "
     "parameter)."},
    {"namespace", KeyType::string, "http://tempuri.org/",
     "Namespace of the operation elements (the service's targetNamespace in its WSDL)."},
    {"qualified", KeyType::boolean, "true",
     "true: <Register xmlns=\"ns\"><input>… (children in the namespace too, as ASP.NET .asmx services expect); "
     "false: <ns:Register xmlns:ns=\"ns\"><input>… (children unqualified, as many Java stacks expect)."},
    {"operation", KeyType::string, "", "Operation of calls that name none (a call step's `operation:`)."},
    {"action", KeyType::string, "",
     "SOAPAction (1.1) or action parameter (1.2); {operation} stands for the operation's name. Default: the "
     "namespace followed by the operation, with a '/' between when the namespace does not end in one."},
    {"nested", KeyType::strings, "",
     "Local names of elements whose text is an XML document (\"string in, string out\" services): decoded into the "
     "tree on replies; an object under such a name in a request is written as XML text, escaped once."},
    {"arrays", KeyType::strings, "",
     "Local names of reply elements always decoded as lists, even when they occur once."},
    {"cdata", KeyType::strings, "",
     "Local names of request elements whose text is written as a CDATA section (with nested: the inner document)."},
    {"operations", KeyType::mapping, "",
     "Per operation name: { action, nested, arrays, cdata }, each replacing the endpoint's own for that "
     "operation."},
    {"charset", KeyType::string, "",
     "Charset of the envelopes (e.g. GBK): requests are converted to it and declare it; a reply without its own "
     "declaration or BOM is read in it. Default UTF-8."},
    http::client_headers_key,
    http::client_tls_key,
    {"security", KeyType::mapping, "",
     "WS-Security UsernameToken in every request's SOAP Header: { username, password, password_type: text | "
     "digest }. digest sends Base64(SHA-1(nonce + created + password)) with a fresh nonce and Created time."},
    {"header", KeyType::mapping, "",
     "Elements every request's SOAP Header carries, written as XML, e.g. { AuthHeader: { UserName: his, Password: "
     "\"${HIS_PASSWORD}\" } } (an .asmx service's SoapHeader). An element without a prefix or its own @xmlns is "
     "put in the endpoint's namespace."},
};

constexpr ConfigKey operation_keys[] = {
    {"action", KeyType::string, "", "SOAPAction / action of this operation; {operation} stands for its name."},
    {"nested", KeyType::strings, "", "Elements holding XML documents, for this operation."},
    {"arrays", KeyType::strings, "", "Reply elements always decoded as lists, for this operation."},
    {"cdata", KeyType::strings, "", "Request elements written as CDATA, for this operation."},
    {"params", KeyType::strings, "",
     "The operation element's children in the order the service's schema declares them: written first, in "
     "it (a Lua table has no order; .NET and Java services read a sequence in order). Others follow."},
};

constexpr ConfigKey security_keys[] = {
    {"username", KeyType::string, "", "The UsernameToken's Username.", true},
    {"password", KeyType::string, "", "The password, sent as text or digested (see password_type).", true},
    {"password_type", KeyType::string, "text",
     "text: the password as written (PasswordText); digest: Base64(SHA-1(nonce + created + password)) "
     "(PasswordDigest)."},
};

// In an action template, where the called operation's name goes ("urn:his#{operation}").
constexpr std::string_view operation_marker = "{operation}";

Location where(const ConfigReader& reader, std::string_view key) {
  auto node = reader.node(key);
  return node ? node->location() : reader.mapping().location();
}

// The lists of `reader` that are set replace those of `options`.
void read_xml_lists(const ConfigReader& reader, xml::Options& options) {
  if (reader.has("nested")) options.nested = reader.strings("nested");
  if (reader.has("arrays")) options.arrays = reader.strings("arrays");
  if (reader.has("cdata")) options.cdata = reader.strings("cdata");
}

// The `header:` block as the Header's elements: those without a prefix or an @xmlns of their own
// in `namespace_uri`, as the WSDL of an .asmx or JAX-WS service puts its header elements. Written
// once here, so a name XML cannot hold is reported at the block's line, not at the first call.
Value header_elements(const ConfigNode& node, const std::string& namespace_uri, Version version,
                      const std::string& what, Diagnostics& diag) {
  Object header;
  for (const auto& [key, value] : node.entries()) {
    const std::string name = key.scalar();
    Value element = value.to_value();
    const bool own_namespace =
        name.find(':') != std::string::npos || (element.is_object() && element.find("@xmlns") != nullptr);
    if (!own_namespace) {
      Object qualified{{"@xmlns", Value(namespace_uri)}};
      if (element.is_object()) {
        for (auto& [member, content] : element.as_object()) qualified.push_back(member, std::move(content));
      } else if (!element.is_null()) {
        qualified.push_back("#text", std::move(element));
      }
      element = Value(std::move(qualified));
    }
    header.push_back(name, std::move(element));
  }
  BodyElement probe;
  probe.name = "probe";
  Value written_header(std::move(header));
  if (auto written = write_envelope(version, written_header, probe, {}, ""); !written) {
    diag.error(node.location(), what + ": header: " + written.error().message);
    return Value();
  }
  return written_header;
}

// The action goes into a quoted header value (SOAPAction: "…", action="…").
void check_action(const ConfigReader& reader, const std::string& what, Diagnostics& diag) {
  if (!reader.has("action")) return;
  const std::string action = reader.string("action");
  if (action.find('"') != std::string::npos || !http::is_header_value(action)) {
    diag.error(where(reader, "action"), what + ": action '" + action + "' contains a quote or a line break");
  }
}

std::optional<UsernameToken> parse_security(const ConfigNode& node, const std::string& what, Diagnostics& diag) {
  const std::string context = what + ": security";
  ConfigReader reader(node, security_keys, diag, context);
  UsernameToken token;
  token.username = reader.string("username");
  token.password = reader.string("password");
  const std::string type = reader.string("password_type");
  if (type == "text") {
    token.password_type = PasswordType::text;
  } else if (type == "digest") {
    token.password_type = PasswordType::digest;
  } else {
    diag.error(where(reader, "password_type"), context + ": password_type '" + type + "' is not text or digest");
    return std::nullopt;
  }
  return token;
}

}  // namespace

const OperationOptions& SoapSettings::options_for(std::string_view operation) const {
  auto found = operations.find(operation);
  return found == operations.end() ? defaults : found->second;
}

std::string SoapSettings::action_for(std::string_view operation) const {
  std::string action = options_for(operation).action_template;
  for (auto at = action.find(operation_marker); at != std::string::npos;
       at = action.find(operation_marker, at + operation.size())) {
    action.replace(at, operation_marker.size(), operation);
  }
  return action;
}

Schema soap_endpoint_keys() { return soap_keys; }

std::shared_ptr<const SoapSettings> parse_soap_settings(const ConfigNode& config, EndpointCommon common,
                                                        Diagnostics& diag) {
  const std::string what = "endpoint '" + common.name + "': soap";
  const std::size_t errors_before = diag.errors().size();
  ConfigReader reader(config, soap_keys, diag, what);
  auto client = std::make_shared<http::ClientSettings>();
  auto settings = std::make_shared<SoapSettings>();

  const bool url_ok = http::parse_client_url(reader, what, *client, diag);

  const std::string version = reader.string("version");
  if (version == "1.1") {
    settings->version = Version::v1_1;
  } else if (version == "1.2") {
    settings->version = Version::v1_2;
  } else {
    diag.error(where(reader, "version"), what + ": version '" + version + "' is not \"1.1\" or \"1.2\"");
  }

  settings->namespace_uri = reader.string("namespace");
  settings->qualified = reader.boolean("qualified");
  settings->default_operation = reader.string("operation");
  check_action(reader, what, diag);
  settings->defaults.action_template =
      reader.has("action") ? reader.string("action") : default_action(settings->namespace_uri, operation_marker);
  read_xml_lists(reader, settings->defaults.xml);

  if (reader.has("charset")) {
    const std::string charset = reader.string("charset");
    if (!charset_supported(charset)) {
      diag.error(where(reader, "charset"), what + ": charset '" + charset + "' is not one this system can convert");
    } else {
      settings->charset = normalize_charset(charset);
    }
  }

  if (auto node = reader.node("operations"); node && node->is_map()) {
    for (const auto& [key, value] : node->entries()) {
      const std::string name = key.scalar();
      ConfigReader operation(value, operation_keys, diag, what + ": operations: " + name);
      OperationOptions options = settings->defaults;
      check_action(operation, what + ": operations: " + name, diag);
      if (operation.has("action")) options.action_template = operation.string("action");
      read_xml_lists(operation, options.xml);
      options.params = operation.strings("params");
      settings->operations.insert_or_assign(name, std::move(options));
    }
  }

  if (auto node = reader.node("security"); node && node->is_map()) {
    settings->security = parse_security(*node, what, diag);
  }
  if (auto node = reader.node("header"); node && node->is_map()) {
    settings->header = header_elements(*node, settings->namespace_uri, settings->version, what, diag);
  }

  http::parse_client_headers(reader, what, *client, diag);
  if (url_ok) http::parse_client_tls_block(reader, what, *client, diag);

  if (diag.errors().size() != errors_before) return nullptr;
  client->common = std::move(common);
  settings->client = std::move(client);
  return settings;
}

}  // namespace qiao::soap
