#include "core/config/schema.hpp"

#include <cassert>

namespace qiao {

std::string_view key_type_name(KeyType t) {
  switch (t) {
    case KeyType::string: return "string";
    case KeyType::integer: return "integer";
    case KeyType::boolean: return "boolean";
    case KeyType::duration: return "duration";
    case KeyType::size: return "size";
    case KeyType::strings: return "string list";
    case KeyType::mapping: return "mapping";
    case KeyType::sequence: return "list";
    case KeyType::any: return "any";
  }
  return "any";
}

namespace {

void check_type(const ConfigNode& value, const ConfigKey& key, Diagnostics& diag, std::string_view what) {
  const std::string label = std::string(what) + ": " + std::string(key.name);
  const auto expected = [&](const char* shape) {
    diag.error(value.location(), label + ": expected " + shape + ", found a " + std::string(value.kind_name()));
  };
  switch (key.type) {
    case KeyType::string:
      if (!value.is_scalar()) expected("a string");
      break;
    case KeyType::integer: (void)value.to_int(diag, label); break;
    case KeyType::boolean: (void)value.to_bool(diag, label); break;
    case KeyType::duration: (void)value.to_duration(diag, label); break;
    case KeyType::size: (void)value.to_size(diag, label); break;
    case KeyType::strings: (void)value.to_strings(diag, label); break;
    case KeyType::mapping:
      if (!value.is_map()) expected("a mapping");
      break;
    case KeyType::sequence:
      if (!value.is_sequence()) expected("a list");
      break;
    case KeyType::any: break;
  }
}

}  // namespace

ConfigReader::ConfigReader(const ConfigNode& mapping, Schema schema, Diagnostics& diag, std::string_view what)
    : mapping_(mapping), schema_(schema), diag_(diag) {
  if (mapping.is_null()) {
    mapping_ = ConfigNode();
  } else if (!mapping.is_map()) {
    diag.error(mapping.location(),
               std::string(what) + ": expected a mapping, found a " + std::string(mapping.kind_name()));
    mapping_ = ConfigNode();
  }
  for (const auto& [k, v] : mapping_.entries()) {
    const std::string name = k.scalar();
    const ConfigKey* spec = nullptr;
    for (const auto& candidate : schema_)
      if (candidate.name == name) spec = &candidate;
    if (!spec) {
      std::string known;
      for (const auto& candidate : schema_) known += (known.empty() ? "" : ", ") + std::string(candidate.name);
      diag.error(k.location(), std::string(what) + ": unknown key '" + name + "' (known: " + known + ")");
      continue;
    }
    check_type(v, *spec, diag, what);
  }
  for (const auto& candidate : schema_) {
    if (candidate.required && !mapping_.get(candidate.name)) {
      diag.error(mapping.location(),
                 std::string(what) + ": missing required key '" + std::string(candidate.name) + "'");
    }
  }
}

const ConfigKey& ConfigReader::key(std::string_view name) const {
  for (const auto& candidate : schema_)
    if (candidate.name == name) return candidate;
  assert(false && "key not in schema");
  static const ConfigKey none{"", KeyType::any, "", ""};
  return none;
}

bool ConfigReader::has(std::string_view name) const { return mapping_.get(name).has_value(); }

std::optional<ConfigNode> ConfigReader::node(std::string_view name) const {
  (void)key(name);
  return mapping_.get(name);
}

std::string ConfigReader::string(std::string_view name) const {
  auto n = node(name);
  if (n && n->is_scalar()) return n->scalar();
  return expand_environment(key(name).default_value);
}

std::int64_t ConfigReader::integer(std::string_view name) const {
  Diagnostics ignored;  // reported once, by the constructor
  if (auto n = node(name)) {
    if (auto v = n->to_int(ignored)) return *v;
  }
  return std::stoll(std::string(key(name).default_value.empty() ? "0" : key(name).default_value));
}

bool ConfigReader::boolean(std::string_view name) const {
  Diagnostics ignored;
  if (auto n = node(name)) {
    if (auto v = n->to_bool(ignored)) return *v;
  }
  return key(name).default_value == "true";
}

std::chrono::milliseconds ConfigReader::duration(std::string_view name) const {
  Diagnostics ignored;
  if (auto n = node(name)) {
    if (auto v = n->to_duration(ignored)) return *v;
  }
  return parse_duration(key(name).default_value).value_or(std::chrono::milliseconds(0));
}

std::uint64_t ConfigReader::size(std::string_view name) const {
  Diagnostics ignored;
  if (auto n = node(name)) {
    if (auto v = n->to_size(ignored)) return *v;
  }
  return parse_size(key(name).default_value).value_or(0);
}

std::vector<std::string> ConfigReader::strings(std::string_view name) const {
  Diagnostics ignored;
  if (auto n = node(name)) {
    if (auto v = n->to_strings(ignored)) return *v;
  }
  return {};
}

std::string describe_schema(std::string_view title, Schema schema) {
  std::string out = std::string(title) + "\n";
  for (const auto& k : schema) {
    out += "  " + std::string(k.name) + " (" + std::string(key_type_name(k.type));
    if (k.required) out += ", required";
    if (!k.default_value.empty()) out += ", default " + std::string(k.default_value);
    out += "): " + std::string(k.description) + "\n";
  }
  return out;
}

}  // namespace qiao
