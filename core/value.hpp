#pragma once
// Value: the neutral tree every codec decodes to and encodes from, and what Lua sees as tables.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace qiao {

// The bytes of a received message. Shared so that strings decoded from it can borrow
// from it instead of copying (see Text).
using Buffer = std::shared_ptr<const std::string>;

inline Buffer make_buffer(std::string bytes) { return std::make_shared<const std::string>(std::move(bytes)); }

// A string that either owns its bytes or borrows them from a Buffer it keeps alive.
// Codecs borrow long strings from the message buffer; short ones are copied, because
// std::string's small-string storage is cheaper than a reference count.
class Text {
 public:
  Text() = default;
  Text(std::string owned) : owned_(std::move(owned)) {}  // NOLINT: implicit by design
  Text(std::string_view s) : owned_(s) {}                // NOLINT
  Text(const char* s) : owned_(s) {}                     // NOLINT
  static Text borrow(Buffer anchor, std::string_view view);

  std::string_view view() const { return anchor_ ? borrowed_ : std::string_view(owned_); }
  bool is_borrowed() const { return anchor_ != nullptr; }
  std::string str() const { return std::string(view()); }

  friend bool operator==(const Text& a, const Text& b) { return a.view() == b.view(); }

 private:
  std::string owned_;
  Buffer anchor_;
  std::string_view borrowed_;
};

class Value;

// An object keeps its keys in insertion order: field order matters to XML, fixed-length and
// signature schemes. Lookups are linear, which beats hashing for the small objects messages hold.
class Object {
 public:
  using Member = std::pair<std::string, Value>;

  Object() = default;
  Object(std::initializer_list<Member> members);

  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  Value& operator[](std::string_view key);  // inserts null when absent
  void set(std::string_view key, Value v);
  bool erase(std::string_view key);

  // Defined after Value: clang instantiates these constexpr vector members on sight, and
  // Value is still incomplete here.
  std::size_t size() const;
  bool empty() const;
  void reserve(std::size_t n);
  void push_back(std::string key, Value v);  // no duplicate check: for codecs building fresh objects

  auto begin() const { return members_.begin(); }
  auto end() const { return members_.end(); }
  auto begin() { return members_.begin(); }
  auto end() { return members_.end(); }

  friend bool operator==(const Object& a, const Object& b);

 private:
  std::vector<Member> members_;
};

using Array = std::vector<Value>;

// A decimal number kept as the text it was written in ("12.50"), so money survives a round
// trip through a codec unchanged.
struct Decimal {
  std::string text;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

// Raw binary data (ISO 8583 binary fields, MAC blocks); JSON shows it as hex or base64.
struct Bytes {
  Text data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

class Value {
 public:
  enum class Type : std::uint8_t { null, boolean, integer, real, decimal, string, bytes, array, object };

  Value() = default;
  Value(std::nullptr_t) {}                            // NOLINT
  Value(bool b) : v_(b) {}                            // NOLINT
  Value(int i) : v_(static_cast<std::int64_t>(i)) {}  // NOLINT
  Value(std::int64_t i) : v_(i) {}                    // NOLINT
  Value(double d) : v_(d) {}                          // NOLINT
  Value(Decimal d) : v_(std::move(d)) {}              // NOLINT
  Value(Text s) : v_(std::move(s)) {}                 // NOLINT
  Value(std::string s) : v_(Text(std::move(s))) {}    // NOLINT
  Value(std::string_view s) : v_(Text(s)) {}          // NOLINT
  Value(const char* s) : v_(Text(s)) {}               // NOLINT
  Value(Bytes b) : v_(std::move(b)) {}                // NOLINT
  Value(Array a) : v_(std::move(a)) {}                // NOLINT
  Value(Object o) : v_(std::move(o)) {}               // NOLINT

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::null; }
  bool is_bool() const { return type() == Type::boolean; }
  bool is_int() const { return type() == Type::integer; }
  bool is_real() const { return type() == Type::real; }
  bool is_decimal() const { return type() == Type::decimal; }
  bool is_number() const { return is_int() || is_real() || is_decimal(); }
  bool is_string() const { return type() == Type::string; }
  bool is_bytes() const { return type() == Type::bytes; }
  bool is_array() const { return type() == Type::array; }
  bool is_object() const { return type() == Type::object; }

  bool as_bool() const { return std::get<bool>(v_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(v_); }
  double as_real() const { return std::get<double>(v_); }
  const Decimal& as_decimal() const { return std::get<Decimal>(v_); }
  std::string_view as_string() const { return std::get<Text>(v_).view(); }
  const Text& as_text() const { return std::get<Text>(v_); }
  const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Any number as a double (decimals parsed); for comparisons and Lua.
  double to_double() const;

  // Member of an object, or nullptr when this is not an object or has no such key.
  const Value* find(std::string_view key) const;
  // Follows a dotted path such as "patient.name" through objects (and array indexes, 0-based).
  const Value* find_path(std::string_view dotted) const;

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  std::variant<std::monostate, bool, std::int64_t, double, Decimal, Text, Bytes, Array, Object> v_;
};

inline std::size_t Object::size() const { return members_.size(); }
inline bool Object::empty() const { return members_.empty(); }
inline void Object::reserve(std::size_t n) { members_.reserve(n); }

std::string_view type_name(Value::Type t);
// A value as the text keys compare by (order keys, idempotency keys): scalars as written (a
// decimal keeps its digits), null as empty, anything else as its type's name.
std::string key_text(const Value& value);

}  // namespace qiao
