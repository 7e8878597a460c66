// Value ⇄ Lua: decoded objects answer to integer keys (body[39] for field "39") for reading and
// writing, without a second key appearing and without touching arrays.

#include "core/lua/lua_value.hpp"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <lua.hpp>
#include <string>

#include "codecs/json/json_codec.hpp"

using namespace qiao;

namespace {

// How a value crosses into Lua: whole, or as lazy tables. Scripts must not tell them apart.
enum class Push { whole, lazy };

void push(lua_State* L, const Value& value, Push how) {
  if (how == Push::lazy) lua::push_lazy_value(L, value);
  else lua::push_value(L, value);
}

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
  // result, then what `v` converts back to), the same for both pushes.
  std::string run(const std::string& json, const std::string& script) {
    const std::string whole = run(json, script, Push::whole);
    Lua lazy_state;
    const std::string lazy = lazy_state.run(json, script, Push::lazy);
    INFO(script);
    CHECK(lazy == whole);
    return whole;
  }

  std::string run(const std::string& json, const std::string& script, Push how) {
    auto value = json::decode(make_buffer(json));
    REQUIRE(value);
    push(L, *value, how);
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
  CHECK(
      lua.run(R"({"039":"a","7":"b"})", "return tostring(v[39]) .. ' ' .. tostring(v['+7']) .. ' ' .. tostring(v.x)") ==
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
  CHECK(lua.run(R"({"mti":"0210","39":"00","64":"X"})", "v[64] = nil; v['39'] = nil; return ''") ==
        R"(|{"mti":"0210"})");
  // Nested objects too.
  CHECK(lua.run(R"({"60":{"1":"22","2":"000001"}})", "v[60][2] = '000002'; return ''") ==
        R"(|{"60":{"1":"22","2":"000002"}})");
}

TEST_CASE("lua: arrays and script-built sequences are not affected", "[lua]") {
  Lua lua;
  CHECK(
      lua.run(R"({"items":["a","b"]})", "v.items[3] = 'c'; return v.items[1] .. #v.items .. tostring(v.items['1'])") ==
      R"(a3nil|{"items":["a","b","c"]})");
  CHECK(lua.run(R"({"x":1})", "local t = ordered(); t[1] = 'p'; t[2] = 'q'; v.list = t; return ''") ==
        R"(|{"x":1,"list":["p","q"]})");
  CHECK(lua.run(R"({"x":1})", "v.t = { mti = '0200', [3] = '000000' }; return v.t[3]") ==
        R"(000000|{"x":1,"t":{"3":"000000","mti":"0200"}})");
}

namespace {

// Pushes `json` decoded as the global `v` (decimal texts in use), runs `script`, and says whether
// lua::unchanged finds `v` still the value that went in; `back` is what to_value makes of it.
struct Unchanged {
  Value value;
  Value back;
  bool mirrored = false;  // lua::mirrors: `v` could stand in for a fresh push of `value`

  // The same answers for both pushes.
  bool after(const std::string& json, const std::string& script) {
    const bool same = after(json, script, Push::whole);
    const Value whole_back = back;
    const bool whole_mirrored = mirrored;
    INFO(script);
    CHECK(after(json, script, Push::lazy) == same);
    CHECK(back == whole_back);
    CHECK(mirrored == whole_mirrored);
    return same;
  }

  bool after(const std::string& json, const std::string& script, Push how) {
    Lua lua;
    lua::DecimalTexts texts;
    lua::use_decimal_texts(lua.L, &texts);
    auto decoded = json::decode(make_buffer(json));
    REQUIRE(decoded);
    value = std::move(*decoded);
    push(lua.L, value, how);
    lua_setglobal(lua.L, "v");
    INFO(script);
    REQUIRE(luaL_dostring(lua.L, script.c_str()) == LUA_OK);
    lua_settop(lua.L, 0);
    lua_getglobal(lua.L, "v");
    const bool same = lua::unchanged(lua.L, -1, value);
    mirrored = lua::mirrors(lua.L, -1, value);
    auto converted = lua::to_value(lua.L, -1, "v");
    lua_settop(lua.L, 0);
    REQUIRE(converted);
    back = std::move(*converted);
    return same;
  }
};

}  // namespace

TEST_CASE("lua: a value a script only read is found unchanged, any change is not", "[lua]") {
  const std::string doc =
      R"({"mti":"0200","39":"00","amount":12.50,"n":7,"ok":true,"none":null,"list":[1,"two",{"k":"v"}],)"
      R"("empty":[],"obj":{},"nested":{"a":{"b":"c"}}})";
  Unchanged u;
  CHECK(u.after(doc, "local x = v.nested.a.b .. v[39] .. #v.list; local y = v.amount * 2"));
  CHECK(u.back == u.value);
  // Writing back what was there is no change either.
  CHECK(u.after(doc, "v.mti = '0200'; v.n = 14 / 2; v.amount = 12.5; v.list[2] = 'two'"));
  CHECK(u.back == u.value);

  for (const char* change : {
           "v.mti = '0210'",
           "v.n = 8",
           "v.n = 7.5",
           "v.ok = false",
           "v.none = 0",
           "v.new = 1",
           "v.mti = nil",
           "v[39] = '05'",
           "v.amount = 12.51",
           "v.list[4] = 5",
           "v.list[3].k = 'w'",
           "v.list[1] = '1'",
           "rawset(v, 'raw', 1)",
           "v.empty.x = 1",
           "v.obj[1] = 'a'",
           "v.nested.a.b = nil",
           "v.list[2] = nil",
       }) {
    INFO(change);
    CHECK_FALSE(u.after(doc, change));
    CHECK_FALSE(u.back == u.value);
  }
  // A table a script built again is converted, even when it converts to the same value.
  for (const char* rebuilt : {"v.list = { 1, 'two', { k = 'v' } }", "v.nested.a = { b = 'c' }"}) {
    INFO(rebuilt);
    CHECK_FALSE(u.after(doc, rebuilt));
    CHECK(u.back == u.value);
  }
}

TEST_CASE("lua: a key removed and added again keeps its first place, in both readings", "[lua]") {
  Unchanged u;
  // __keys then holds "a" twice; to_value writes it once, where it was first.
  CHECK(u.after(R"({"a":1,"b":2})", "v.a = nil; v.a = 1"));
  CHECK(u.back == u.value);
  CHECK_FALSE(u.after(R"({"a":1,"b":2})", "v.a = nil; v.a = 2"));
  CHECK(u.back == Value(Object{{"a", 2}, {"b", 2}}));
}

TEST_CASE("lua: strings a script only read stay borrowed, bytes stay bytes", "[lua]") {
  Lua lua;
  const Buffer received = make_buffer(std::string("PID|1||P001^^^HOSP||Zhang^San") + std::string(40, 'x'));
  const std::string_view text = *received;
  Value value(Object{{"pid", Value(Text::borrow(received, text))},
                     {"mac", Value(Bytes{Text(std::string("\x01\x02\x03", 3))})}});
  lua::push_value(lua.L, value);
  lua_setglobal(lua.L, "v");
  REQUIRE(luaL_dostring(lua.L, "local id = string.sub(v.pid, 8, 11); local m = #v.mac") == LUA_OK);
  lua_getglobal(lua.L, "v");
  // The caller (LuaWorker) keeps `value` as it is: the string still points into the buffer.
  CHECK(lua::unchanged(lua.L, -1, value));
  CHECK(value.find("pid")->as_text().is_borrowed());
  lua_pop(lua.L, 1);
  REQUIRE(luaL_dostring(lua.L, "v.mac = v.mac .. '\\4'") == LUA_OK);
  lua_getglobal(lua.L, "v");
  CHECK_FALSE(lua::unchanged(lua.L, -1, value));
  lua_pop(lua.L, 1);
}

TEST_CASE("lua: a table stands in for a fresh push only when it is exactly what the push makes", "[lua]") {
  const std::string doc = R"({"mti":"0200","amount":12.50,"n":7,"none":null,"list":[1,{"k":"v"}],"obj":{}})";
  Unchanged u;
  for (const char* read_only : {"local x = v.list[2].k .. v.mti", "v.amount = 12.5", "v.mti = nil; v.mti = '0200'"}) {
    INFO(read_only);
    CHECK(u.after(doc, read_only));
    CHECK(u.mirrored);
  }
  // Unchanged in value, but a push would not make these: the next step must get a fresh one.
  for (const char* differs :
       {"v.n = 14 / 2", "v.list = { 1, { k = 'v' } }", "v.obj = {}", "getmetatable(v.obj).__index = nil"}) {
    INFO(differs);
    u.after(doc, differs);
    CHECK_FALSE(u.mirrored);
  }
  CHECK_FALSE(u.after(doc, "v.mti = '0210'"));
  CHECK_FALSE(u.mirrored);
}

TEST_CASE("lua: a value that cannot be converted is named by its path", "[lua]") {
  Lua lua;
  const auto error_of = [&](const std::string& script) -> std::string {
    REQUIRE(luaL_dostring(lua.L, script.c_str()) == LUA_OK);
    auto converted = lua::to_value(lua.L, -1, "body");
    lua_settop(lua.L, 0);
    REQUIRE_FALSE(converted);
    return converted.error().message;
  };
  CHECK(error_of("return { items = { 1, print } }") ==
        "body.items[2]: cannot convert a Lua function to a message value");
  CHECK(error_of("local t = ordered(); t.name = { [''] = coroutine.create(print) }; return t") ==
        "body.name.: cannot convert a Lua thread to a message value");
  CHECK(error_of("local t = {}; t.self = t; return t").find("body.self.self.self") == 0);
  CHECK(error_of("local t = {}; t.self = t; return t").find(": nested too deeply (a cycle?)") != std::string::npos);
}

TEST_CASE("lua: the table library, pairs, next and the raw functions see lazy tables whole", "[lua]") {
  Lua lua;  // run() compares every answer with the whole push's
  const std::string doc = R"({"s":"x","n":12.50,"list":["b","c","a"],"obj":{"k":"v","j":null},"empty":[]})";
  for (const char* script : {
           "return table.concat(v.list, ',') .. #v.list .. #v.obj .. #v.empty",
           "table.insert(v.list, 'd'); table.insert(v.list, 1, 'z'); return table.concat(v.list)",
           "return table.remove(v.list) .. table.remove(v.list, 1)",
           "table.sort(v.list); return table.concat(v.list)",
           "return select('#', table.unpack(v.list)) .. type(v.obj.j)",
           "local n = 0; for _, x in ipairs(v.list) do n = n + #x end; return tostring(n)",
           "local keys = {}; for k in pairs(v.obj) do keys[#keys + 1] = k end; table.sort(keys); "
           "return table.concat(keys)",
           "local k = next(v.obj); return tostring(k ~= nil) .. tostring(next(v.empty))",
           "return rawget(v, 's') .. rawlen(v.list) .. tostring(rawget(v.obj, 'k'))",
           "rawset(v.obj, 'r', 1); return tostring(v.obj.r)",
           "return tostring(getmetatable(v.obj) ~= nil) .. tostring(getmetatable(v.list) ~= nil)",
           "setmetatable(v.obj, nil); v.obj.z = 1; return ''",
           "v.obj.k = nil; v.obj.k = 'w'; v.added = { 1 }; return v.obj.k",
           "v.n = v.n + 1; return tostring(v.n)",
           "local l = v.list; v.list = nil; l[1] = 'q'; v.again = l; return ''",
       }) {
    INFO(script);
    CHECK(lua.run(doc, script).rfind("error", 0) == std::string::npos);
  }
}

namespace {

// Whether the Lua value `path` reaches (a chain of string keys from the global `v`, read raw
// through filled tables) is a lazy table still untouched.
bool untouched(lua_State* L, std::initializer_list<const char*> path) {
  lua_getglobal(L, "v");
  for (const char* key : path) {
    lua_getfield(L, -1, key);
    lua_remove(L, -2);
  }
  const bool result = lua::untouched_value(L, -1) != nullptr;
  lua_pop(L, 1);
  return result;
}

}  // namespace

TEST_CASE("lua: a lazy table is filled a level at a time, when a script first needs the table", "[lua]") {
  Lua lua;
  auto value = json::decode(make_buffer(R"({"s":"x","a":{"b":{"c":"d"},"e":"f"},"list":[1,[2,3]]})"));
  REQUIRE(value);
  lua::push_lazy_value(lua.L, std::move(*value));
  lua_setglobal(lua.L, "v");
  const auto run = [&](const char* script) {
    INFO(script);
    REQUIRE(luaL_dostring(lua.L, script) == LUA_OK);
    lua_settop(lua.L, 0);
  };

  // Scalar members, lengths and absent keys answer from the Value.
  run("assert(v.s == 'x' and v.missing == nil and #v == 0)");
  CHECK(untouched(lua.L, {}));
  // A container member fills its parent, not itself; it is the same table on every read.
  run("assert(v.a == v.a and v.a.e == 'f')");
  CHECK_FALSE(untouched(lua.L, {}));
  CHECK(untouched(lua.L, {"a"}));
  CHECK(untouched(lua.L, {"list"}));
  run("assert(#v.list == 2 and v.list[1] == 1)");
  CHECK(untouched(lua.L, {"list"}));
  // A write fills the table written to.
  run("v.a.b.c = 'changed'");
  CHECK_FALSE(untouched(lua.L, {"a"}));
  CHECK_FALSE(untouched(lua.L, {"a", "b"}));
  lua_getglobal(lua.L, "v");
  auto back = lua::to_value(lua.L, -1, "v");
  lua_pop(lua.L, 1);
  REQUIRE(back);
  CHECK(*json::encode(*back) == R"({"s":"x","a":{"b":{"c":"changed"},"e":"f"},"list":[1,[2,3]]})");
}

TEST_CASE("lua: a lazy table's Value lives while any of its tables does", "[lua]") {
  Lua lua;
  {
    auto value = json::decode(make_buffer(R"({"a":{"b":{"c":"the text of a string too long for SSO"}}})"));
    REQUIRE(value);
    lua::push_lazy_value(lua.L, std::move(*value));  // the only owner of the tree is now Lua
    lua_setglobal(lua.L, "v");
  }
  // The root and every table but the innermost are collected; what is left still reads the tree.
  REQUIRE(luaL_dostring(lua.L, "keep = v.a.b; v = nil; collectgarbage(); collectgarbage(); return keep.c") == LUA_OK);
  CHECK(std::string(lua_tostring(lua.L, -1)) == "the text of a string too long for SSO");
  lua_settop(lua.L, 0);
}
