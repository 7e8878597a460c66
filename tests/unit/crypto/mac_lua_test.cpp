// The Lua library `mac` as a flow's Lua sees it.

#include "crypto/mac_lua.hpp"

#include <catch2/catch.hpp>
#include <lua.hpp>
#include <string>

#include "core/lua/lua_value.hpp"

namespace {

struct Lua {
  lua_State* L = luaL_newstate();
  Lua() {
    luaL_openlibs(L);
    qiao::lua::install_value_support(L);
    qiao::crypto::MacLuaLibrary().open(L);
    lua_setglobal(L, "mac");
  }
  ~Lua() { lua_close(L); }
  // The script's string result, or "error: …".
  std::string run(const std::string& script) {
    if (luaL_dostring(L, script.c_str()) != LUA_OK) {
      std::string error = lua_tostring(L, -1);
      lua_pop(L, 1);
      return "error: " + error;
    }
    std::string text = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a string)";
    lua_pop(L, 1);
    return text;
  }
};

}  // namespace

TEST_CASE("mac Lua library", "[crypto]") {
  Lua lua;
  CHECK(lua.run("return mac.x99('0123456789ABCDEF', 'Now is the time for all ')") == "70A30640CC76DD8B");
  CHECK(lua.run("return mac.x99('0123456789ABCDEF', 'Now is the time for all ', 2)") == "10E1F0F108341B6D");
  CHECK(lua.run("return mac.x919('41414141414141414242424242424242', 'hello world')") == "3DDE5C5511661CBF");
  CHECK(lua.run("return mac.x919('41414141414141414242424242424242', 'hello world', 1)") == "3DDE5C5511661CBF");
  // Binary data passes through Lua strings unchanged.
  CHECK(lua.run("return mac.cup_pos('1234567890ABCDEF', mac.unhex("
                "'0200702406C020C09A11166222600110012345000000000000000100000001'))") == "38CB931C");
  CHECK(lua.run("return mac.hex(mac.unhex(mac.x99('0123456789ABCDEF', 'Now is the time for all ')))") ==
        "70A30640CC76DD8B");
  CHECK(lua.run("return tostring(#mac.unhex(mac.x99('0123456789ABCDEF', 'x')))") == "8");
  CHECK(lua.run("return mac.hex('\\0\\255')") == "00FF");

  CHECK(lua.run("return mac.x919('0123456789ABCDEF', 'x')") ==
        "error: mac: x919 key: expected 32 hex digits (KL‖KR), got 16");
  CHECK(lua.run("return mac.x99('0123456789ABCDEF', 'x', 3)") ==
        "error: mac: padding must be 1 (zeros) or 2 (0x80 then zeros)");
  CHECK(lua.run("return mac.unhex('ZZ')") == "error: mac.unhex: 'Z' at position 1 is not a hex digit");
  CHECK(lua.run("return mac.cup_pos('0123456789ABCDEF')").find("bad argument #2 to 'cup_pos'") != std::string::npos);
  // A caught error is a plain message a flow can log or reply with.
  CHECK(lua.run("local ok, e = pcall(mac.x99, 'nothex', 'x'); return e") ==
        "mac: x99 key: expected 16 hex digits (single DES), got 6");
}
