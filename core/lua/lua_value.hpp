#pragma once
// Value ⇄ Lua conversion.
//
// Objects become tables that remember their key order (so a reply keeps the order its request
// had, and keys a script adds go last); arrays become sequences marked as arrays (so an empty
// one stays an array). An object's key that is a decimal number also answers to the integer
// (body[39] reads and writes "39", as ISO 8583 fields are written) and the other way round. A
// null inside a container is `qiao.null`; a null body or var is nil.
// Integers stay integers; decimals become Lua numbers; a float with an integral value converts
// back to an integer, as a script dividing 10 by 2 expects.

#include <string>

#include "core/error.hpp"
#include "core/value.hpp"

struct lua_State;

namespace qiao::lua {

// Creates the metatables the conversion uses; call once per lua_State.
void install_value_support(lua_State* L);

void push_value(lua_State* L, const Value& value);
// `top_level_null_as_nil`: a null at the top becomes nil rather than qiao.null.
void push_value_or_nil(lua_State* L, const Value& value);
void push_object(lua_State* L, const Object& object);

// Converts the Lua value at `index`; `where` names it in errors ("body.items[2]").
Expected<Value> to_value(lua_State* L, int index, const std::string& where);
// Converts a table of string → scalar into an Object of strings (headers).
Expected<Object> to_string_map(lua_State* L, int index, const std::string& where);

// Pushes a new empty table that records the order keys are added in (qiao.ordered()).
void push_ordered_table(lua_State* L);
// Pushes a new empty table marked as an array (qiao.array()).
void push_array_table(lua_State* L);

}  // namespace qiao::lua
