#include "adapters/tcp/client/correlation.hpp"

namespace qiao::tcp {

namespace {

// Between the fields of one key: a byte that field values of the supported codecs never hold.
constexpr char separator = '\x1f';

// A field's value as text: a number and the same digits as a string must match, because a Lua
// script may put `[11] = 123` where the reply carries "123".
std::optional<std::string> scalar_text(const Value& value) {
  switch (value.type()) {
    case Value::Type::string: return std::string(value.as_string());
    case Value::Type::integer: return std::to_string(value.as_int());
    case Value::Type::decimal: return value.as_decimal().text;
    case Value::Type::bytes: return std::string(value.as_bytes().data.view());
    default: return std::nullopt;
  }
}

Expected<std::string> fields_key(const Correlation& correlation, const Value& message, std::string_view which) {
  std::string key;
  for (std::size_t i = 0; i < correlation.fields.size(); ++i) {
    const std::string& field = correlation.fields[i];
    const Value* value = message.find_path(field);
    if (!value || value->is_null()) {
      return make_error(ErrorKind::bad_input, std::string(which) + " has no correlation field '" + field + "'");
    }
    auto text = scalar_text(*value);
    if (!text) {
      return make_error(ErrorKind::bad_input, std::string(which) + " correlation field '" + field + "' is " +
                                                  std::string(type_name(value->type())) + ", not a string or a number");
    }
    if (i > 0) key += separator;
    key += *text;
  }
  return key;
}

// "MSH-10/MSA-2": the request's id is named before the slash, the reply's after it.
std::string_view id_name(const Correlation& correlation, bool reply) {
  const std::string_view names = correlation.protocol->id_fields();
  const std::size_t slash = names.find('/');
  if (slash == std::string_view::npos) return names;
  return reply ? names.substr(slash + 1) : names.substr(0, slash);
}

Expected<std::string> protocol_key(const Correlation& correlation, const Value& message, bool reply) {
  std::string key = reply ? correlation.protocol->reply_id(message) : correlation.protocol->request_id(message);
  if (key.empty())
    return make_error(ErrorKind::bad_input, std::string(reply ? "the reply" : "the request") + " has no " +
                                                std::string(id_name(correlation, reply)));
  return key;
}

}  // namespace

std::string Correlation::describe() const {
  switch (kind) {
    case Kind::none: return "none";
    case Kind::protocol: return "hl7 " + std::string(protocol->id_fields());
    case Kind::fields: {
      std::string out = "fields ";
      for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : "") + fields[i];
      return out;
    }
  }
  return "?";
}

std::optional<Correlation> parse_correlation(const ConfigNode& node, const Codec* codec, Diagnostics& diag) {
  Correlation correlation;
  if (node.is_scalar() && node.scalar() == "hl7") {
    correlation.kind = Correlation::Kind::protocol;
    correlation.protocol = codec ? codec->answers() : nullptr;
    if (correlation.protocol == nullptr || correlation.protocol->id_fields().empty()) {
      diag.error(node.location(),
                 "correlate: hl7 matches replies by the ids the codec's protocol names (hl7v2: "
                 "MSH-10 and MSA-2); this endpoint's codec has none: list the fields replies echo");
      return std::nullopt;
    }
    return correlation;
  }
  const std::size_t errors_before = diag.errors().size();
  auto fields = node.to_strings(diag);
  if (!fields) return std::nullopt;
  if (fields->empty()) {
    diag.error(node.location(), "correlate: give the fields replies echo (e.g. [11, 41]) or hl7");
    return std::nullopt;
  }
  for (const auto& field : *fields) {
    if (field.empty() || field.front() == '.' || field.back() == '.' || field.find("..") != std::string::npos) {
      diag.error(node.location(), "correlate: '" + field + "' is not a key or a dotted path");
    }
  }
  if (diag.errors().size() != errors_before) return std::nullopt;
  correlation.kind = Correlation::Kind::fields;
  correlation.fields = std::move(*fields);
  return correlation;
}

Expected<std::string> request_key(const Correlation& correlation, const Value& request) {
  if (correlation.kind == Correlation::Kind::protocol) return protocol_key(correlation, request, false);
  return fields_key(correlation, request, "the request");
}

Expected<std::string> reply_key(const Correlation& correlation, const Value& reply) {
  if (correlation.kind == Correlation::Kind::protocol) return protocol_key(correlation, reply, true);
  return fields_key(correlation, reply, "the reply");
}

std::string show_key(const Correlation& correlation, const std::string& key) {
  if (correlation.kind == Correlation::Kind::protocol)
    return std::string(correlation.protocol->id_fields()) + "=" + key;
  std::string out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < correlation.fields.size(); ++i) {
    const std::size_t end = key.find(separator, start);
    out += (i ? " " : "") + correlation.fields[i] + "=" +
           key.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? key.size() : end + 1;
  }
  return out;
}

}  // namespace qiao::tcp
