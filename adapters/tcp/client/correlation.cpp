#include "adapters/tcp/client/correlation.hpp"

#include "codecs/hl7v2/hl7_path.hpp"

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

Expected<std::string> hl7_key(const Value& message, std::string_view path, std::string_view which) {
  std::string key = hl7::text_at(message, path);
  if (key.empty()) return make_error(ErrorKind::bad_input, std::string(which) + " has no " + std::string(path));
  return key;
}

}  // namespace

std::string Correlation::describe() const {
  switch (kind) {
    case Kind::none: return "none";
    case Kind::hl7: return "hl7 MSH-10/MSA-2";
    case Kind::fields: {
      std::string out = "fields ";
      for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : "") + fields[i];
      return out;
    }
  }
  return "?";
}

std::optional<Correlation> parse_correlation(const ConfigNode& node, Diagnostics& diag) {
  Correlation correlation;
  if (node.is_scalar() && node.scalar() == "hl7") {
    correlation.kind = Correlation::Kind::hl7;
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
  if (correlation.kind == Correlation::Kind::hl7) return hl7_key(request, "MSH-10", "the request");
  return fields_key(correlation, request, "the request");
}

Expected<std::string> reply_key(const Correlation& correlation, const Value& reply) {
  if (correlation.kind == Correlation::Kind::hl7) return hl7_key(reply, "MSA-2", "the reply");
  return fields_key(correlation, reply, "the reply");
}

std::string show_key(const Correlation& correlation, const std::string& key) {
  if (correlation.kind == Correlation::Kind::hl7) return "MSH-10/MSA-2=" + key;
  std::string out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < correlation.fields.size(); ++i) {
    const std::size_t end = key.find(separator, start);
    out += (i ? " " : "") + correlation.fields[i] + "=" + key.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? key.size() : end + 1;
  }
  return out;
}

}  // namespace qiao::tcp
