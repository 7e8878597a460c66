#include "adapters/soap/source/soap_reply_codec.hpp"

#include <algorithm>

namespace qiao::soap {

namespace {

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool has_any_key(const Object& object, const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return object.find(n) != nullptr; });
}

}  // namespace

SoapReplyCodec::SoapReplyCodec(Version version, ReplyShape shape)
    : version_(version),
      shape_(std::move(shape)),
      response_element_(shape_.operation + "Response"),
      content_type_(soap::content_type(version, shape_.charset, "")) {
  write_options_.nested = shape_.nested;
  write_options_.cdata = shape_.cdata;
  read_options_.nested = shape_.nested;
  read_options_.arrays = shape_.arrays;
}

Expected<Value> SoapReplyCodec::decode(const Buffer& bytes) const {
  auto read = read_envelope(bytes, read_options_);
  if (auto* failed = std::get_if<EnvelopeError>(&read)) return std::move(failed->error);
  auto& envelope = std::get<Envelope>(read);
  if (envelope.fault) {
    return make_error(ErrorKind::bad_input, "SOAP fault " + envelope.fault->code + ": " + envelope.fault->reason);
  }
  if (envelope.version != version_) {
    return make_error(ErrorKind::bad_input, "a SOAP " + std::string(version_name(envelope.version)) +
                                                " envelope where SOAP " + std::string(version_name(version_)) +
                                                " was expected");
  }
  return Value(Object{{envelope.element, std::move(envelope.content)}});
}

Expected<std::string> SoapReplyCodec::encode(const Value& value) const {
  const Value* content = &value;
  if (value.is_object() && value.as_object().size() == 1 && value.as_object().begin()->first == response_element_) {
    content = &value.as_object().begin()->second;
  }
  BodyElement body{response_element_, shape_.namespace_uri, true, Value(), shape_.results};
  if (content->is_null()) {
    body.content = Value(Object{});
  } else if (content->is_array()) {
    return make_error(ErrorKind::flow, "a SOAP reply is an object or a single value, not an array");
  } else if (!content->is_object()) {
    body.content = Value(Object{{shape_.results.front(), *content}});
  } else if (shape_.results.size() == 1 && contains(shape_.nested, shape_.results.front()) &&
             !has_any_key(content->as_object(), shape_.results)) {
    // A string-in-string-out service: the flow replies with the document the result holds.
    body.content = Value(Object{{shape_.results.front(), *content}});
  } else {
    body.content = *content;
  }
  return write_envelope(version_, Value(), body, write_options_, shape_.charset);
}

}  // namespace qiao::soap
