#pragma once
// qiao.decimal: exact decimal numbers for Lua, for the arithmetic on money that Lua's floats get
// wrong (0.1 + 0.2). `qiao.decimal("12.50")`, or of a message's number (`qiao.decimal(body.amount)`
// keeps the text the number came in, "12.50"), adds, subtracts, multiplies and compares exactly
// with decimals, integers, numbers and numeric strings; `d:div(x, scale)` and `d:round(scale)`
// round half away from zero (四舍五入); tostring gives the digits with the scale they have
// ("12.50" + 1 is "13.50"). Put into a message, it is written as that text.

#include <optional>
#include <string>

struct lua_State;

namespace qiao::lua {

// Creates the decimals' metatable; call once per lua_State.
void install_decimal_support(lua_State* L);

// qiao.decimal(x) → a decimal, or an error naming what x was.
int new_decimal(lua_State* L);

// The text of the decimal at `index`, or nothing when it is not one.
std::optional<std::string> decimal_text(lua_State* L, int index);

}  // namespace qiao::lua
