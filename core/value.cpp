#include "core/value.hpp"

#include <charconv>
#include <cstdlib>

namespace qiao {

Text Text::borrow(Buffer anchor, std::string_view view) {
  Text t;
  t.anchor_ = std::move(anchor);
  t.borrowed_ = view;
  return t;
}

Object::Object(std::initializer_list<Member> members) : members_(members) {}

const Value* Object::find(std::string_view key) const {
  for (const auto& [k, v] : members_)
    if (k == key) return &v;
  return nullptr;
}

Value* Object::find(std::string_view key) {
  for (auto& [k, v] : members_)
    if (k == key) return &v;
  return nullptr;
}

Value& Object::operator[](std::string_view key) {
  if (Value* v = find(key)) return *v;
  members_.emplace_back(std::string(key), Value());
  return members_.back().second;
}

void Object::set(std::string_view key, Value v) { (*this)[key] = std::move(v); }

bool Object::erase(std::string_view key) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->first == key) {
      members_.erase(it);
      return true;
    }
  }
  return false;
}

void Object::push_back(std::string key, Value v) { members_.emplace_back(std::move(key), std::move(v)); }

bool operator==(const Object& a, const Object& b) { return a.members_ == b.members_; }

double Value::to_double() const {
  switch (type()) {
    case Type::integer: return static_cast<double>(as_int());
    case Type::real: return as_real();
    case Type::decimal: return std::strtod(as_decimal().text.c_str(), nullptr);
    case Type::boolean: return as_bool() ? 1.0 : 0.0;
    default: return 0.0;
  }
}

const Value* Value::find(std::string_view key) const { return is_object() ? as_object().find(key) : nullptr; }

const Value* Value::find_path(std::string_view dotted) const {
  const Value* at = this;
  while (at && !dotted.empty()) {
    auto dot = dotted.find('.');
    std::string_view part = dotted.substr(0, dot);
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
    if (at->is_array()) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (ec != std::errc() || end != part.data() + part.size() || index >= at->as_array().size()) return nullptr;
      at = &at->as_array()[index];
    } else {
      at = at->find(part);
    }
  }
  return at;
}

std::string key_text(const Value& value) {
  switch (value.type()) {
    case Value::Type::null: return {};
    case Value::Type::string: return std::string(value.as_string());
    case Value::Type::integer: return std::to_string(value.as_int());
    case Value::Type::decimal: return value.as_decimal().text;
    case Value::Type::boolean: return value.as_bool() ? "true" : "false";
    default: return std::string(type_name(value.type()));
  }
}

std::string_view type_name(Value::Type t) {
  switch (t) {
    case Value::Type::null: return "null";
    case Value::Type::boolean: return "boolean";
    case Value::Type::integer: return "integer";
    case Value::Type::real: return "number";
    case Value::Type::decimal: return "decimal";
    case Value::Type::string: return "string";
    case Value::Type::bytes: return "bytes";
    case Value::Type::array: return "array";
    case Value::Type::object: return "object";
  }
  return "?";
}

}  // namespace qiao
