// Value ⇄ Lua: decoded objects answer to integer keys (body[39] for field "39") for reading and
// writing, without a second key appearing and without touching arrays.

#include <catch2/catch.hpp>
#include <lua.hpp>

#include <string>

#include "codecs/json/json_codec.hpp"
#include "core/lua/lua_value.hpp"

using namespace qiao;

namespace {

struct Lua {
  lua_State* L = luaL_newstate();
  Lua() {
    luaL_openlibs(L);
    lua::install_value_support(L);
    lua_pushcfunction(L, [](lua_State* state) -> int {
      lua::push_ordered_table(state);
      return 1;
    });
    lua_setglobal(L, "ordered");
  }
  ~Lua() { lua_close(L); }

  // Sets the global `v` from JSON, runs `script`, returns "result|v as JSON" (the script's string
  // result, then what `v` converts back to).
  std::string run(const std::string& json, const std::string& script) {
    auto value = json::decode(make_buffer(json));
    REQUIRE(value);
    lua::push_value(L, *value);
    lua_setglobal(L, "v");
    if (luaL_dostring(L, script.c_str()) != LUA_OK) {
      std::string error = lua_tostring(L, -1);
      lua_pop(L, 1);
      return "error: " + error;
    }
    std::string result = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    lua_settop(L, 0);
    lua_getglobal(L, "v");
    auto back = lua::to_value(L, -1, "v");
    lua_pop(L, 1);
    REQUIRE(back);
    auto text = json::encode(*back);
    REQUIRE(text);
    return result + "|" + *text;
  }
};

}  // namespace

TEST_CASE("lua: integer keys read the decimal keys of decoded objects", "[lua]") {
  Lua lua;
  const std::string reply = R"({"mti":"0210","39":"00","60":{"1":"22","2":"000001"}})";
  CHECK(lua.run(reply, "return v[39] .. ' ' .. v['39'] .. ' ' .. v[60][1] .. ' ' .. tostring(v[40])") ==
        "00 00 22 nil|" + reply);
  // Names, zero-padded and signed texts are keys of their own.
  CHECK(lua.run(R"({"039":"a","7":"b"})", "return tostring(v[39]) .. ' ' .. tostring(v['+7']) .. ' ' .. tostring(v.x)") ==
        R"(nil nil nil|{"039":"a","7":"b"})");
}

TEST_CASE("lua: writing an integer key replaces the decimal key in place", "[lua]") {
  Lua lua;
  CHECK(lua.run(R"({"mti":"0210","39":"00","64":"X"})", "v[39] = '05'; v[60] = 'new'; return v[39]") ==
        R"(05|{"mti":"0210","39":"05","64":"X","60":"new"})");
  // A key added as an integer answers to its text too, and is written back once.
  CHECK(lua.run(R"({"mti":"0200"})", "v[3] = '000000'; v['3'] = '310000'; return v['3'] .. v[3]") ==
        R"(310000310000|{"mti":"0200","3":"310000"})");
  // Nil removes whichever spelling holds the key.
  CHECK(lua.run(R"({"mti":"0210","39":"00","64":"X"})", "v[64] = nil; v['39'] = nil; return ''") == R"(|{"mti":"0210"})");
  // Nested objects too.
  CHECK(lua.run(R"({"60":{"1":"22","2":"000001"}})", "v[60][2] = '000002'; return ''") ==
        R"(|{"60":{"1":"22","2":"000002"}})");
}

TEST_CASE("lua: arrays and script-built sequences are not affected", "[lua]") {
  Lua lua;
  CHECK(lua.run(R"({"items":["a","b"]})", "v.items[3] = 'c'; return v.items[1] .. #v.items .. tostring(v.items['1'])") ==
        R"(a3nil|{"items":["a","b","c"]})");
  CHECK(lua.run(R"({"x":1})", "local t = ordered(); t[1] = 'p'; t[2] = 'q'; v.list = t; return ''") ==
        R"(|{"x":1,"list":["p","q"]})");
  CHECK(lua.run(R"({"x":1})", "v.t = { mti = '0200', [3] = '000000' }; return v.t[3]") ==
        R"(000000|{"x":1,"t":{"3":"000000","mti":"0200"}})");
}
