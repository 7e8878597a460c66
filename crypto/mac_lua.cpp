#include "crypto/mac_lua.hpp"

#include <lua.hpp>
#include <string>

#include "core/text/hex.hpp"
#include "crypto/mac.hpp"

namespace qiao::crypto {

namespace {

// luaL_error longjmps over C++ frames, so each function does its work in a scope that leaves
// nothing to destroy, then raises the message it left on the stack.

std::string_view string_arg(lua_State* L, int index) {
  std::size_t len = 0;
  const char* s = luaL_checklstring(L, index, &len);
  return {s, len};
}

bool push_result(lua_State* L, const Expected<std::string>& result) {
  const std::string& text = result ? *result : result.error().message;
  lua_pushlstring(L, text.data(), text.size());
  return result.has_value();
}

// Returns false (with the message pushed) when the padding argument is not 1 or 2.
bool padding_arg(lua_State* L, int index, Padding& padding) {
  if (lua_isnoneornil(L, index)) return true;
  const lua_Integer n = lua_isinteger(L, index) ? lua_tointeger(L, index) : 0;
  if (n == 1 || n == 2) {
    padding = n == 1 ? Padding::zeros : Padding::one_bit;
    return true;
  }
  lua_pushstring(L, "mac: padding must be 1 (zeros) or 2 (0x80 then zeros)");
  return false;
}

template <Expected<std::string> (*Mac)(std::string_view, std::string_view, Padding)>
int l_block_mac(lua_State* L) {
  const std::string_view key = string_arg(L, 1);
  const std::string_view data = string_arg(L, 2);
  bool ok = true;
  {
    Padding padding = Padding::zeros;
    if (!padding_arg(L, 3, padding)) {
      ok = false;
    } else {
      auto mac = Mac(key, data, padding);
      ok = push_result(L, mac ? Expected<std::string>(to_hex(*mac)) : mac);
    }
  }
  return ok ? 1 : lua_error(L);
}

int l_cup_pos(lua_State* L) {
  const std::string_view key = string_arg(L, 1);
  const std::string_view data = string_arg(L, 2);
  bool ok = true;
  ok = push_result(L, cup_pos_mac(key, data));
  return ok ? 1 : lua_error(L);
}

int l_hex(lua_State* L) {
  const std::string_view bytes = string_arg(L, 1);
  {
    const std::string hex = to_hex(bytes);
    lua_pushlstring(L, hex.data(), hex.size());
  }
  return 1;
}

int l_unhex(lua_State* L) {
  const std::string_view hex = string_arg(L, 1);
  bool ok = true;
  ok = push_result(L, from_hex(hex, "mac.unhex"));
  return ok ? 1 : lua_error(L);
}

}  // namespace

std::string_view MacLuaLibrary::description() const {
  return "MACs for bank and insurer messages: mac.x99(key_hex, data [, padding]), mac.x919(key_hex, data [, padding]) "
         "(16 hex digits), mac.cup_pos(key_hex, data) (the 8-character UnionPay POS MAC), mac.hex(bytes), "
         "mac.unhex(hex)";
}

void MacLuaLibrary::open(lua_State* L) const {
  static const luaL_Reg functions[] = {{"x99", l_block_mac<&x99_mac>},
                                       {"x919", l_block_mac<&x919_mac>},
                                       {"cup_pos", l_cup_pos},
                                       {"hex", l_hex},
                                       {"unhex", l_unhex},
                                       {nullptr, nullptr}};
  luaL_newlib(L, functions);
}

}  // namespace qiao::crypto
