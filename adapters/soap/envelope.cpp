#include "adapters/soap/envelope.hpp"

#include <algorithm>
#include <vector>

#include "core/text/charset.hpp"

namespace qiao::soap {

namespace {

// The prefix responses and faults are written with; any prefix means the same to a reader.
constexpr std::string_view envelope_prefix = "soap";

std::string_view local_name(std::string_view name) {
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view prefix_of(std::string_view name) {
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? std::string_view() : name.substr(0, colon);
}

bool is_namespace_declaration(std::string_view key) { return key == "@xmlns" || key.starts_with("@xmlns:"); }

// The content a flow sees: names without prefixes, namespace declarations dropped.
Value with_local_names(Value value) {
  if (value.is_array()) {
    for (auto& item : value.as_array()) item = with_local_names(std::move(item));
    return value;
  }
  if (!value.is_object()) return value;
  Object out;
  out.reserve(value.as_object().size());
  std::vector<std::string> written_as;  // each member's name in the document, by position in `out`
  for (auto& [key, member] : value.as_object()) {
    if (is_namespace_declaration(key)) continue;
    std::string name = key.starts_with('@') ? "@" + std::string(local_name(std::string_view(key).substr(1)))
                                            : std::string(local_name(key));
    // Names that differ only in their prefixes keep them, rather than become one key twice.
    auto same = std::find_if(out.begin(), out.end(), [&](const Object::Member& m) { return m.first == name; });
    if (same != out.end()) {
      if (name != key) name = key;
      else same->first = written_as[static_cast<std::size_t>(same - out.begin())];
    }
    written_as.push_back(key);
    out.push_back(std::move(name), with_local_names(std::move(member)));
  }
  return Value(std::move(out));
}

// The URI `prefix` stands for, looked up on the elements from the innermost outwards.
std::string resolve_prefix(std::string_view prefix, std::initializer_list<const Value*> scopes) {
  const std::string key = prefix.empty() ? std::string("@xmlns") : "@xmlns:" + std::string(prefix);
  for (const Value* scope : scopes) {
    if (!scope || !scope->is_object()) continue;
    if (const Value* uri = scope->find(key); uri && uri->is_string()) return std::string(uri->as_string());
  }
  return {};
}

// An element's text whether it carries attributes ({ "@lang": …, "#text": … }) or not.
std::string text_of(const Value* value) {
  if (!value) return {};
  if (value->is_string()) return std::string(value->as_string());
  if (value->is_object()) {
    if (const Value* text = value->find("#text"); text && text->is_string()) return std::string(text->as_string());
  }
  return {};
}

const Value* first_item(const Value* value) {
  if (value && value->is_array()) return value->as_array().empty() ? nullptr : &value->as_array().front();
  return value;
}

// Read by the names present rather than the envelope's version alone: some stacks (npm soap's
// server among them) answer a 1.2 request with a 1.2 Fault inside a 1.1 envelope.
Fault read_fault(Version version, const Value& content) {
  Fault fault;
  const Value* item = nullptr;
  const bool v11_names = content.find("faultcode") || content.find("faultstring");
  const bool v12_names = content.find("Code") || content.find("Reason");
  if (v11_names || (version == Version::v1_1 && !v12_names)) {
    fault.code = std::string(local_name(text_of(content.find("faultcode"))));
    fault.reason = text_of(content.find("faultstring"));
    fault.actor = text_of(content.find("faultactor"));
    item = content.find("detail");
  } else {
    if (const Value* code = first_item(content.find("Code"))) {
      fault.code = std::string(local_name(text_of(code->find("Value"))));
      if (const Value* subcode = first_item(code->find("Subcode"))) fault.subcode = text_of(subcode->find("Value"));
    }
    if (const Value* reason = content.find("Reason")) fault.reason = text_of(first_item(reason->find("Text")));
    fault.actor = text_of(content.find("Role"));
    item = content.find("Detail");
  }
  if (item && !(item->is_string() && item->as_string().empty())) fault.detail = *item;
  return fault;
}

EnvelopeError not_an_envelope(std::string why) {
  return EnvelopeError{make_error(ErrorKind::bad_input, "not a SOAP envelope: " + std::move(why))};
}

}  // namespace

std::string_view envelope_namespace(Version version) {
  return version == Version::v1_1 ? soap11_namespace : soap12_namespace;
}

std::string default_action(std::string_view namespace_uri, std::string_view operation) {
  std::string action(namespace_uri);
  if (!action.empty() && action.back() != '/') action += '/';
  return action + std::string(operation);
}

std::string_view version_name(Version version) { return version == Version::v1_1 ? "1.1" : "1.2"; }

std::string content_type(Version version, std::string_view charset, std::string_view action) {
  const std::string charset_text = charset.empty() ? std::string("utf-8") : std::string(charset);
  if (version == Version::v1_1) return "text/xml; charset=" + charset_text;
  std::string out = "application/soap+xml; charset=" + charset_text;
  if (!action.empty()) out += "; action=\"" + std::string(action) + "\"";
  return out;
}

std::variant<Envelope, EnvelopeError> read_envelope(const Buffer& bytes, const xml::Options& options) {
  auto document = xml::decode(bytes, options);
  if (!document) return EnvelopeError{std::move(document).error()};
  const auto& [root_name, root] = *document->as_object().begin();
  if (local_name(root_name) != "Envelope") return not_an_envelope("the root element is <" + root_name + ">");
  const std::string uri = resolve_prefix(prefix_of(root_name), {&root});
  Envelope envelope;
  if (uri == soap11_namespace) {
    envelope.version = Version::v1_1;
  } else if (uri == soap12_namespace) {
    envelope.version = Version::v1_2;
  } else {
    return EnvelopeError{
        make_error(ErrorKind::bad_input, "the Envelope's namespace '" + uri + "' is neither SOAP 1.1 (" +
                                             std::string(soap11_namespace) + ") nor SOAP 1.2 (" +
                                             std::string(soap12_namespace) + ")"),
        true};
  }
  // An Envelope without attributes declares no namespace and failed above; this keeps as_object safe.
  if (!root.is_object()) return not_an_envelope("the Envelope has no Body");

  const Value* body = nullptr;
  for (const auto& [name, member] : root.as_object()) {
    if (name.starts_with('@')) continue;
    const auto local = local_name(name);
    if (local == "Header") envelope.header = with_local_names(member);
    else if (local == "Body") body = &member;
  }
  if (!body) return not_an_envelope("the Envelope has no Body");
  if (body->is_array()) return not_an_envelope("the Envelope has more than one Body");

  const Object::Member* element = nullptr;
  if (body->is_object()) {
    for (const auto& member : body->as_object()) {
      if (!member.first.starts_with('@')) {
        element = &member;
        break;
      }
    }
  }
  if (!element) return not_an_envelope("the Body is empty");
  const Value* first = first_item(&element->second);
  envelope.element = std::string(local_name(element->first));
  envelope.element_namespace = resolve_prefix(prefix_of(element->first), {first, body, &root});
  Value content = with_local_names(first ? *first : Value());
  if (content.is_null() || (content.is_string() && content.as_string().empty())) content = Value(Object{});
  if (envelope.element == "Fault" && envelope.element_namespace == uri) {
    envelope.fault = read_fault(envelope.version, content);
  }
  envelope.content = std::move(content);
  return envelope;
}

Expected<std::string> write_envelope(Version version, const Value& header, const BodyElement& body,
                                     const xml::Options& options, std::string_view charset) {
  xml::Options fragment = options;
  fragment.declaration = false;
  fragment.encoding.clear();
  fragment.root.clear();
  fragment.namespaces.clear();

  const std::string prefix(envelope_prefix);
  std::string out = "<?xml version=\"1.0\" encoding=\"" +
                    (charset.empty() ? std::string("utf-8") : std::string(charset)) + "\"?><" + prefix +
                    ":Envelope xmlns:" + prefix + "=\"" + std::string(envelope_namespace(version)) + "\">";
  if (header.is_object() && !header.as_object().empty()) {
    out += "<" + prefix + ":Header>";
    for (const auto& [name, member] : header.as_object()) {
      auto text = xml::encode(Value(Object{{name, member}}), fragment);
      if (!text) return make_error(ErrorKind::flow, "SOAP header: " + text.error().message);
      out += *text;
    }
    out += "</" + prefix + ":Header>";
  }

  // The namespace goes first on the element, then its content in the flow's key order.
  Object element;
  std::string name = body.name;
  if (!body.namespace_uri.empty()) {
    if (body.qualified) {
      element.push_back("@xmlns", Value(body.namespace_uri));
    } else {
      name = "ns:" + name;
      element.push_back("@xmlns:ns", Value(body.namespace_uri));
    }
  }
  if (body.content.is_object()) {
    const Object& content = body.content.as_object();
    for (const auto& name : body.order) {
      if (const Value* member = content.find(name)) element.push_back(name, *member);
    }
    for (const auto& [key, member] : content) {
      if (std::find(body.order.begin(), body.order.end(), key) == body.order.end()) element.push_back(key, member);
    }
  } else if (!body.content.is_null()) {
    element.push_back("#text", body.content);
  }
  auto text = xml::encode(Value(Object{{name, Value(std::move(element))}}), fragment);
  if (!text) return std::move(text).error();
  out += "<" + prefix + ":Body>" + *text + "</" + prefix + ":Body></" + prefix + ":Envelope>";
  if (charset.empty() || normalize_charset(charset).empty()) return out;
  auto converted = from_utf8(out, charset);
  if (!converted) return make_error(ErrorKind::flow, "SOAP envelope: " + converted.error().message);
  return converted;
}

namespace {

Expected<std::string> fault_element(Version version, const Fault& fault) {
  const std::string prefix(envelope_prefix);
  auto qualified = [&](std::string_view name) { return prefix + ":" + std::string(name); };
  Object content;
  if (version == Version::v1_1) {
    content.push_back("faultcode", Value(qualified(fault.code)));
    content.push_back("faultstring", Value(fault.reason));
    if (!fault.actor.empty()) content.push_back("faultactor", Value(fault.actor));
    if (!fault.detail.is_null()) content.push_back("detail", fault.detail);
  } else {
    Object code{{qualified("Value"), Value(qualified(fault.code))}};
    if (!fault.subcode.empty())
      code.push_back(qualified("Subcode"), Value(Object{{qualified("Value"), Value(fault.subcode)}}));
    content.push_back(qualified("Code"), Value(std::move(code)));
    content.push_back(
        qualified("Reason"),
        Value(Object{{qualified("Text"), Value(Object{{"@xml:lang", Value("en")}, {"#text", Value(fault.reason)}})}}));
    if (!fault.actor.empty()) content.push_back(qualified("Role"), Value(fault.actor));
    if (!fault.detail.is_null()) content.push_back(qualified("Detail"), fault.detail);
  }
  xml::Options options;
  options.declaration = false;
  return xml::encode(Value(Object{{qualified("Fault"), Value(std::move(content))}}), options);
}

}  // namespace

std::string write_fault(Version version, const Fault& fault) {
  auto element = fault_element(version, fault);
  // A fault must go out even when the flow's detail, or the error text, cannot be XML.
  if (!element) {
    Fault plain = fault;
    plain.detail = Value();
    element = fault_element(version, plain);
    if (!element) {
      plain.reason = "the error text cannot be written as XML";
      element = fault_element(version, plain);
    }
  }
  const std::string prefix(envelope_prefix);
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?><" + prefix + ":Envelope xmlns:" + prefix + "=\"" +
         std::string(envelope_namespace(version)) + "\"><" + prefix + ":Body>" + (element ? *element : std::string()) +
         "</" + prefix + ":Body></" + prefix + ":Envelope>";
}

int fault_status(Version version, bool sender) { return version == Version::v1_2 && sender ? 400 : 500; }

}  // namespace qiao::soap
