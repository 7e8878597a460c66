#include "core/lua/lua_decimal.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <lua.hpp>
#include <string_view>

#include "core/lua/lua_environment.hpp"
#include "core/lua/lua_value.hpp"

namespace qiao::lua {

namespace {

// 38 significant digits cover any amount a payment or settlement file carries; GCC's 128-bit
// integer does the arithmetic exactly and reports overflow, where a decimal library would be a
// dependency for four operations.
__extension__ typedef __int128 Units;
constexpr int max_digits = 38;
constexpr int max_scale = 30;
constexpr const char* metatable_name = "qiao.decimal";

struct ExactDecimal {
  Units units = 0;  // the value is units / 10^scale
  int scale = 0;
};

[[noreturn]] void raise(lua_State* L, const char* message) {
  luaL_error(L, "qiao.decimal: %s", message);
  std::abort();  // luaL_error does not return
}

Units power_of_ten(lua_State* L, int n) {
  if (n > max_digits) raise(L, "more than 38 digits");
  Units p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

Units times(lua_State* L, Units a, Units b) {
  Units out = 0;
  if (__builtin_mul_overflow(a, b, &out)) raise(L, "result has more than 38 digits");
  return out;
}

ExactDecimal rescaled(lua_State* L, ExactDecimal d, int scale) {
  if (scale > d.scale) d.units = times(L, d.units, power_of_ten(L, scale - d.scale));
  d.scale = scale;
  return d;
}

// Digits with an optional sign, point and exponent: "12.50", "-0.1", "1e3", "6222021234567890123".
std::optional<ExactDecimal> parse(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  ExactDecimal d;
  int digits = 0;
  bool any = false, point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any = true;
    if (d.units != 0 || c != '0') ++digits;
    if (digits > max_digits) return std::nullopt;
    d.units = d.units * 10 + (c - '0');
    if (point) ++d.scale;
  }
  if (!any) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    int exponent = 0;
    const char* first = text.data() + i + 1;
    if (first < text.data() + text.size() && *first == '+') ++first;
    const auto [end, ec] = std::from_chars(first, text.data() + text.size(), exponent);
    if (ec != std::errc() || end != text.data() + text.size() || exponent > max_digits || exponent < -max_scale)
      return std::nullopt;
    d.scale -= exponent;
    i = text.size();
  }
  if (i != text.size()) return std::nullopt;
  if (d.scale < 0) {
    for (; d.scale < 0; ++d.scale) {
      if (__builtin_mul_overflow(d.units, Units(10), &d.units)) return std::nullopt;
    }
  }
  if (d.scale > max_scale) return std::nullopt;
  if (negative) d.units = -d.units;
  return d;
}

std::string text_of(ExactDecimal d) {
  const bool negative = d.units < 0;
  Units magnitude = negative ? -d.units : d.units;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  if (d.scale > 0) {
    if (static_cast<int>(digits.size()) <= d.scale)
      digits.insert(0, static_cast<std::size_t>(d.scale) + 1 - digits.size(), '0');
    digits.insert(digits.size() - static_cast<std::size_t>(d.scale), 1, '.');
  }
  return negative ? "-" + digits : digits;
}

ExactDecimal* as_decimal(lua_State* L, int index) {
  return static_cast<ExactDecimal*>(luaL_testudata(L, index, metatable_name));
}

void push(lua_State* L, ExactDecimal d) {
  *static_cast<ExactDecimal*>(lua_newuserdatauv(L, sizeof(ExactDecimal), 0)) = d;
  luaL_setmetatable(L, metatable_name);
}

// Any operand: a decimal, an integer, a float (by the text the message had for it, else its
// shortest exact spelling: 0.1 is "0.1"), or a string of digits.
ExactDecimal operand(lua_State* L, int index) {
  if (ExactDecimal* d = as_decimal(L, index)) return *d;
  std::optional<ExactDecimal> parsed;
  if (lua_isinteger(L, index)) {
    parsed = ExactDecimal{static_cast<Units>(lua_tointeger(L, index)), 0};
  } else if (lua_type(L, index) == LUA_TNUMBER) {
    const double x = lua_tonumber(L, index);
    if (!std::isfinite(x)) raise(L, "not a finite number");
    if (const std::string* text = remembered_decimal_text(L, x)) {
      parsed = parse(*text);
    } else {
      char buffer[64];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
      if (ec == std::errc()) parsed = parse(std::string_view(buffer, static_cast<std::size_t>(end - buffer)));
    }
  } else if (lua_type(L, index) == LUA_TSTRING) {
    std::size_t len = 0;
    const char* s = lua_tolstring(L, index, &len);
    parsed = parse(std::string_view(s, len));
  } else {
    luaL_error(L, "qiao.decimal: expected a decimal, a number or a numeric string, got a %s", luaL_typename(L, index));
  }
  if (!parsed) {
    luaL_error(L, "qiao.decimal: '%s' is not a decimal number of at most 38 digits", luaL_tolstring(L, index, nullptr));
  }
  return *parsed;
}

int compare(lua_State* L) {
  ExactDecimal a = operand(L, 1), b = operand(L, 2);
  const int scale = std::max(a.scale, b.scale);
  a = rescaled(L, a, scale);
  b = rescaled(L, b, scale);
  return a.units < b.units ? -1 : a.units > b.units ? 1 : 0;
}

template <bool subtract>
int add(lua_State* L) {
  ExactDecimal a = operand(L, 1), b = operand(L, 2);
  const int scale = std::max(a.scale, b.scale);
  a = rescaled(L, a, scale);
  b = rescaled(L, b, scale);
  ExactDecimal sum{0, scale};
  const bool overflow = subtract ? __builtin_sub_overflow(a.units, b.units, &sum.units)
                                 : __builtin_add_overflow(a.units, b.units, &sum.units);
  if (overflow) raise(L, "result has more than 38 digits");
  push(L, sum);
  return 1;
}

int multiply(lua_State* L) {
  const ExactDecimal a = operand(L, 1), b = operand(L, 2);
  if (a.scale + b.scale > max_scale) raise(L, "result has more than 30 decimal places; round first");
  push(L, ExactDecimal{times(L, a.units, b.units), a.scale + b.scale});
  return 1;
}

// numerator / denominator rounded to an integer, halves away from zero.
Units divide_rounded(lua_State* L, Units numerator, Units denominator) {
  if (denominator == 0) raise(L, "division by zero");
  Units quotient = numerator / denominator;
  const Units remainder = numerator % denominator;
  const Units twice = times(L, remainder < 0 ? -remainder : remainder, 2);
  if (twice >= (denominator < 0 ? -denominator : denominator))
    quotient += (numerator < 0) == (denominator < 0) ? 1 : -1;
  return quotient;
}

int checked_scale(lua_State* L, int index) {
  const lua_Integer scale = luaL_checkinteger(L, index);
  if (scale < 0 || scale > max_scale) raise(L, "scale must be 0 to 30");
  return static_cast<int>(scale);
}

// d:div(x, scale): d / x with `scale` decimal places.
int divide(lua_State* L) {
  const ExactDecimal a = operand(L, 1), b = operand(L, 2);
  const int scale = checked_scale(L, 3);
  const int shift = scale - a.scale + b.scale;
  const Units numerator = shift >= 0 ? times(L, a.units, power_of_ten(L, shift)) : a.units;
  const Units denominator = shift >= 0 ? b.units : times(L, b.units, power_of_ten(L, -shift));
  push(L, ExactDecimal{divide_rounded(L, numerator, denominator), scale});
  return 1;
}

// d:round(scale): `scale` decimal places; more places than d has are added as zeros.
int round(lua_State* L) {
  const ExactDecimal d = operand(L, 1);
  const int scale = checked_scale(L, 2);
  if (scale >= d.scale) {
    push(L, rescaled(L, d, scale));
  } else {
    push(L, ExactDecimal{divide_rounded(L, d.units, power_of_ten(L, d.scale - scale)), scale});
  }
  return 1;
}

int to_number(lua_State* L) {
  lua_pushnumber(L, std::strtod(text_of(operand(L, 1)).c_str(), nullptr));
  return 1;
}

int to_string(lua_State* L) {
  const std::string text = text_of(operand(L, 1));
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

int concat(lua_State* L) {
  for (int i = 1; i <= 2; ++i) {
    if (as_decimal(L, i)) {
      const std::string text = text_of(*as_decimal(L, i));
      lua_pushlstring(L, text.data(), text.size());
      lua_replace(L, i);
    }
  }
  lua_concat(L, 2);
  return 1;
}

int negate(lua_State* L) {
  ExactDecimal d = operand(L, 1);
  d.units = -d.units;
  push(L, d);
  return 1;
}

int refuse_slash(lua_State* L) { raise(L, "use d:div(x, scale): a quotient needs its number of decimal places"); }

}  // namespace

void install_decimal_support(lua_State* L) {
  luaL_newmetatable(L, metatable_name);
  const luaL_Reg metamethods[] = {
      {"__add", add<false>},
      {"__sub", add<true>},
      {"__mul", multiply},
      {"__div", refuse_slash},
      {"__idiv", refuse_slash},
      {"__unm", negate},
      {"__eq",
       [](lua_State* state) {
         lua_pushboolean(state, compare(state) == 0);
         return 1;
       }},
      {"__lt",
       [](lua_State* state) {
         lua_pushboolean(state, compare(state) < 0);
         return 1;
       }},
      {"__le",
       [](lua_State* state) {
         lua_pushboolean(state, compare(state) <= 0);
         return 1;
       }},
      {"__tostring", to_string},
      {"__concat", concat},
      {nullptr, nullptr},
  };
  luaL_setfuncs(L, metamethods, 0);
  const luaL_Reg methods[] = {{"div", divide}, {"round", round}, {"tonumber", to_number}, {nullptr, nullptr}};
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua::protect_shared_metatable(L, -1);  // every message's decimals share it
  lua_pop(L, 1);
}

int new_decimal(lua_State* L) {
  push(L, operand(L, 1));
  return 1;
}

std::optional<std::string> decimal_text(lua_State* L, int index) {
  if (const ExactDecimal* d = as_decimal(L, index)) return text_of(*d);
  return std::nullopt;
}

}  // namespace qiao::lua
