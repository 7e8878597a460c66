#pragma once
// Value ⇄ Lua conversion.
//
// Objects become tables that remember their key order (so a reply keeps the order its request
// had, and keys a script adds go last); arrays become sequences marked as arrays (so an empty
// one stays an array). An object's key that is a decimal number also answers to the integer
// (body[39] reads and writes "39", as ISO 8583 fields are written) and the other way round. A
// null inside a container is `qiao.null`; a null body or var is nil.
//
// Numbers: integers stay integers. A decimal ("12.50", "100.00", "1e3", a card number too long for
// an integer) becomes a Lua number, so scripts compute and compare as usual, and the message
// remembers the text it came as (DecimalTexts): a Lua number that is still one of those converts
// back to its text, where it was left and wherever a script copied it; an amount a flow did not
// change leaves as it came. Any other float converts back in its shortest form, an integral one
// as an integer (10 / 2 is 5). Exact arithmetic is qiao.decimal's (lua_decimal.hpp).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"
#include "core/value.hpp"

struct lua_State;

namespace qiao::lua {

// Creates the metatables the conversion uses; call once per lua_State.
void install_value_support(lua_State* L);

// The texts of one message's decimals, by the Lua number each became.
class DecimalTexts {
 public:
  void remember(double number, std::string_view text);
  // The text `number` came from; nullptr when none did, or when two texts became one number
  // ("12.5" and "12.50").
  const std::string* find(double number) const;
  bool has_ambiguous() const { return has_ambiguous_; }

 private:
  std::unordered_map<std::uint64_t, std::string> texts_;  // by the number's bits; "" if ambiguous
  bool has_ambiguous_ = false;
};

// The texts conversions on `L` use and fill from now on: the message whose Lua runs (nullptr for
// none). `texts` must outlive its use.
void use_decimal_texts(lua_State* L, DecimalTexts* texts);
// The text the current message had for `number`, or nullptr.
const std::string* remembered_decimal_text(lua_State* L, double number);

// Where `after` (a message's value as Lua left it) has, at the same place as `before`, a number
// equal to a decimal of `before`, puts the decimal's text back. For the numbers DecimalTexts
// cannot tell apart because two texts became one number.
void keep_decimal_texts(Value& after, const Value& before);

void push_value(lua_State* L, const Value& value);
// `top_level_null_as_nil`: a null at the top becomes nil rather than qiao.null.
void push_value_or_nil(lua_State* L, const Value& value);

// Pushes `value` as push_value would, but lazily: an array or object becomes a table that is
// filled a level at a time, when a script first needs it (reading a scalar member needs no
// filling; a container member, a write, pairs, next, the raw functions and getmetatable fill that
// table). The value moves into Lua, owned by what refers to it, so scripts see ordinary tables. C
// code that reads tables raw (lua_rawlen, lua_next) calls fill_table() first, or reads the Value
// through untouched_value().
void push_lazy_value(lua_State* L, Value value);
void push_lazy_value_or_nil(lua_State* L, Value value);
// The Value a lazy table at `index` stands for while no script has filled it, or nullptr.
const Value* untouched_value(lua_State* L, int index);
// Fills the lazy table at `index`, so raw access sees every member; no-op for anything else.
void fill_table(lua_State* L, int index);

// Whether the Lua value at `index` is still `value`: what push_value made of it, untouched, or
// changed only into what converts back to `value` anyway. Compares without allocating, so a body
// a script only read is kept as it was (borrowed strings stay borrowed, bytes stay bytes, a
// decimal keeps its text) instead of being converted back. False also when converting would
// fail: the caller then converts, and reports that.
bool unchanged(lua_State* L, int index, const Value& value);
bool unchanged(lua_State* L, int index, const Object& object);
// Stricter than unchanged(): whether the Lua value at `index` is what push_value would make of
// `value` now, so that it can stand in for a fresh push (no integer that became a float, every
// table still with the metatable push_value gives it, each decimal's text the remembered one).
// Keys a script removed and did not add again are all it may differ in.
bool mirrors(lua_State* L, int index, const Value& value);
bool mirrors(lua_State* L, int index, const Object& object);
// Converts the Lua value at `index`; `where` names it in errors ("body.items[2]").
Expected<Value> to_value(lua_State* L, int index, const std::string& where);
// The same, with the place spelled out only for an error (a path built per call costs more than
// converting a field).
Expected<Value> to_value(lua_State* L, int index, const std::function<std::string()>& where);
// Converts a table of string → scalar into an Object of strings (headers).
Expected<Object> to_string_map(lua_State* L, int index, const std::string& where);

// Pushes a new empty table that records the order keys are added in (qiao.ordered()).
void push_ordered_table(lua_State* L);
// Pushes a new empty table marked as an array (qiao.array()).
void push_array_table(lua_State* L);

}  // namespace qiao::lua
