// hl7 path helpers (C++ and the Lua library `hl7`).
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <lua.hpp>
#include <string>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/hl7_lua.hpp"
#include "codecs/hl7v2/hl7_path.hpp"
#include "core/lua/lua_value.hpp"
#include "tests/unit/codecs/hl7v2_test_support.hpp"

using qiao::Array;
using qiao::ErrorKind;
using qiao::Object;
using qiao::Value;
namespace hl7 = qiao::hl7;
using qiao::hl7::testing::decode_ok;
using qiao::hl7::testing::read_data;

namespace {

Value get_ok(const Value& message, const char* path) {
  auto v = hl7::get(message, path);
  if (!v) FAIL("get " << path << ": " << v.error().message);
  return std::move(v).value();
}

const std::string msh = "MSH|^~\\&|HIS|HOSP01|LIS|LAB01|20261120083000||ADT^A01|MSG1|P|2.5\r";

}  // namespace

TEST_CASE("hl7 path: parse", "[hl7v2]") {
  auto p = hl7::parse_path("OBX[2]-5[3].4.1");
  REQUIRE(p);
  CHECK(p->segment == "OBX");
  CHECK(p->segment_index == 2);
  CHECK(p->field == 5);
  CHECK(p->repetition == 3);
  CHECK(p->component == 4);
  CHECK(p->subcomponent == 1);
  auto bare = hl7::parse_path("PID");
  REQUIRE(bare);
  CHECK(bare->field == 0);
  CHECK(bare->segment_index == 1);
  CHECK(hl7::parse_path("pid-5").error().message == "hl7: path 'pid-5': expected a segment id such as PID");
  CHECK(hl7::parse_path("PID-0").error().message == "hl7: path 'PID-0': expected a field number ≥ 1 after '-'");
  CHECK(hl7::parse_path("PID.5").error().message ==
        "hl7: path 'PID.5': expected '-' and a field number after the segment");
  CHECK(hl7::parse_path("PID-5.x").error().message == "hl7: path 'PID-5.x': expected a component number ≥ 1 after '.'");
  CHECK(hl7::parse_path("PID-5.1.0").error().message ==
        "hl7: path 'PID-5.1.0': expected a subcomponent number ≥ 1 after '.'");
  CHECK(hl7::parse_path("OBX[0]-5").error().message ==
        "hl7: path 'OBX[0]-5': expected [n] with n ≥ 1 after the segment id");
  CHECK(hl7::parse_path("PID-3[2").error().message == "hl7: path 'PID-3[2': expected [n] with n ≥ 1 after the field");
  CHECK(hl7::parse_path("PID-3.1.1.1").error().message == "hl7: path 'PID-3.1.1.1': unexpected '.1'");
  CHECK(hl7::parse_path("PID-99999999999999999999").error().kind == ErrorKind::flow);
}

TEST_CASE("hl7 path: get", "[hl7v2]") {
  const Value adt = decode_ok(read_data("adt_a01_utf8.hl7"));
  CHECK(get_ok(adt, "MSH-1") == Value("|"));
  CHECK(get_ok(adt, "MSH-2") == Value("^~\\&"));
  CHECK(get_ok(adt, "MSH-3") == Value("HIS"));
  CHECK(get_ok(adt, "MSH-9") == Value(Array{"ADT", "A01", "ADT_A01"}));
  CHECK(get_ok(adt, "MSH-9.2") == Value("A01"));
  CHECK(get_ok(adt, "MSH-10") == Value("MSG00001"));
  CHECK(get_ok(adt, "MSH-10.1") == Value("MSG00001"));  // a plain field is its own first component
  CHECK(get_ok(adt, "MSH-10.2").is_null());
  CHECK(get_ok(adt, "PID-5.1") == Value("张"));
  CHECK(get_ok(adt, "PID-5.2") == Value("三"));
  CHECK(get_ok(adt, "PID-3.1") == Value("100234"));  // first repetition
  CHECK(get_ok(adt, "PID-3[1].1") == Value("100234"));
  CHECK(get_ok(adt, "PID-3[2].1") == Value("110101199003071234"));
  CHECK(get_ok(adt, "PID-3[2].5") == Value("NNCHN"));
  CHECK(get_ok(adt, "PID-3[3].1").is_null());
  CHECK(get_ok(adt, "PID-3.4.1") == Value("HOSP01"));
  CHECK(get_ok(adt, "PID-3") == Value(Array{"100234", "", "", "HOSP01", "MR"}));
  CHECK(get_ok(adt, "PID-99").is_null());
  CHECK(get_ok(adt, "ZZZ-1").is_null());
  CHECK(get_ok(adt, "PID[2]-1").is_null());
  CHECK(get_ok(adt, "PID-2") == Value(""));
  CHECK(get_ok(adt, "EVN").find("id")->as_string() == "EVN");

  const Value oru = decode_ok(read_data("oru_r01_utf8.hl7"));
  CHECK(get_ok(oru, "OBX-5") == Value("6.5"));
  CHECK(get_ok(oru, "OBX[2]-5") == Value("98"));
  CHECK(get_ok(oru, "OBX[2]-3.2") == Value("血红蛋白"));
  CHECK(get_ok(oru, "OBX[3]-5") == Value("复查\\.br\\建议一周后复查 & 随访"));
  CHECK(get_ok(oru, "OBX[4]-5").is_null());

  const Value custom = decode_ok(read_data("custom_separators.hl7"));
  CHECK(get_ok(custom, "PID-5.2.2") == Value("X"));
  CHECK(get_ok(custom, "PID-3[2].4") == Value("X"));

  const Value batch = decode_ok(read_data("batch.hl7"));
  CHECK(hl7::get(batch, "PID-5").error().message == "hl7: this is a batch; use one of its messages (body.messages[i])");
  CHECK(get_ok(batch.find("messages")->as_array()[1], "PID-5.1") == Value("李"));
  CHECK(hl7::get(Value("x"), "PID-5").error().message ==
        "hl7: not a decoded HL7 v2 message (an object with \"segments\")");
  CHECK(hl7::text_at(adt, "PID-3") == "100234");
  CHECK(hl7::text_at(adt, "MSH-9") == "ADT");
  CHECK(hl7::text_at(adt, "ZZZ-9") == "");
}

TEST_CASE("hl7 path: set", "[hl7v2]") {
  Value m = decode_ok(msh + "PID|1||100234^^^HOSP01^MR||Zhang^San\r");
  const auto set = [&](const char* path, Value v) {
    auto ok = hl7::set(m, path, std::move(v));
    if (!ok) FAIL("set " << path << ": " << ok.error().message);
  };
  const auto bytes = [&] { return *hl7::encode(m); };

  set("PID-3.1", "123");
  CHECK(bytes() == msh + "PID|1||123^^^HOSP01^MR||Zhang^San\r");
  set("PID-5", "Li");
  CHECK(bytes() == msh + "PID|1||123^^^HOSP01^MR||Li\r");
  set("PID-5.3", "M");
  CHECK(bytes() == msh + "PID|1||123^^^HOSP01^MR||Li^^M\r");
  set("PID-3[2].1", "555");
  CHECK(bytes() == msh + "PID|1||123^^^HOSP01^MR~555||Li^^M\r");
  set("PID-3[2].4.2", "X");
  CHECK(bytes() == msh + "PID|1||123^^^HOSP01^MR~555^^^&X||Li^^M\r");
  set("PID-7.1.2", "Z");  // a subcomponent of a plain field
  CHECK(bytes() == msh + "PID|1||123^^^HOSP01^MR~555^^^&X||Li^^M||&Z\r");
  CHECK(*hl7::get(m, "PID-7.1.2") == Value("Z"));
  CHECK(*hl7::get(decode_ok(bytes()), "PID-7") == *hl7::get(m, "PID-7"));
  set("PID-7", "");
  set("PID-8", "F");
  CHECK(bytes() == msh + "PID|1||123^^^HOSP01^MR~555^^^&X||Li^^M|||F\r");
  set("PID-1", "a|b");
  CHECK(bytes() == msh + "PID|a\\F\\b||123^^^HOSP01^MR~555^^^&X||Li^^M|||F\r");
  set("PV1-2", "I");
  CHECK(bytes() == msh + "PID|a\\F\\b||123^^^HOSP01^MR~555^^^&X||Li^^M|||F\rPV1||I\r");
  set("OBX[2]-5", "98");
  CHECK(bytes() == msh + "PID|a\\F\\b||123^^^HOSP01^MR~555^^^&X||Li^^M|||F\rPV1||I\rOBX\rOBX|||||98\r");
  set("PID[2]-1", "2");  // a second PID goes right after the first
  CHECK(bytes() == msh + "PID|a\\F\\b||123^^^HOSP01^MR~555^^^&X||Li^^M|||F\rPID|2\rPV1||I\rOBX\rOBX|||||98\r");
  set("MSH-10", "NEW");
  CHECK(hl7::get(m, "MSH-10")->as_string() == "NEW");
  set("PID-3[1]", Value(std::int64_t{7}));
  CHECK(hl7::text_at(m, "PID-3") == "");  // an integer, not a string
  CHECK(*hl7::encode(m) == msh.substr(0, msh.find("MSG1")) + "NEW|P|2.5\r" +
                               "PID|a\\F\\b||7~555^^^&X||Li^^M|||F\rPID|2\rPV1||I\rOBX\rOBX|||||98\r");

  CHECK(hl7::set(m, "MSH-1", "!").error().message == "hl7: MSH-1 and MSH-2 are the separators and cannot be set");
  CHECK(hl7::set(m, "MSH-2", "!").error().kind == ErrorKind::flow);
  CHECK(hl7::set(m, "PID-x", "1").error().message == "hl7: path 'PID-x': expected a field number ≥ 1 after '-'");

  Value empty;
  REQUIRE(hl7::set(empty, "PID-3.1", "1"));
  CHECK(hl7::encode(empty).error().message == "hl7v2: $.segments[0] (PID): a message starts with MSH");
  REQUIRE(hl7::set(empty, "MSH-3", "HIS"));
  CHECK(*hl7::encode(empty) == "MSH|^~\\&|HIS\rPID|||1\r");  // a missing MSH goes first with default separators
  Value batch = decode_ok(read_data("batch.hl7"));
  CHECK(hl7::set(batch, "PID-1", "1").error().message ==
        "hl7: this is a batch; set in one of its messages (body.messages[i])");
}

namespace {

struct Lua {
  lua_State* L = luaL_newstate();
  Lua() {
    luaL_openlibs(L);
    qiao::lua::install_value_support(L);
    hl7::Hl7LuaLibrary().open(L);
    lua_setglobal(L, "hl7");
  }
  ~Lua() { lua_close(L); }
  // Runs `script` with `body` as a global; returns the result converted, or the error text. The
  // body goes in whole and, in a state of its own, lazily (as a flow's body does): both must give
  // the same answers.
  std::string run(const std::string& script, const Value& body, Value* result = nullptr) {
    Value whole_result;
    const std::string whole = run(script, body, whole_result, false);
    Lua lazy_state;
    Value lazy_result;
    const std::string lazy = lazy_state.run(script, body, lazy_result, true);
    INFO(script);
    CHECK(lazy == whole);
    // An ACK has its own time and control id.
    if (script.find("hl7.ack(") == std::string::npos) CHECK(lazy_result == whole_result);
    if (result != nullptr) *result = std::move(whole_result);
    return whole;
  }

  std::string run(const std::string& script, const Value& body, Value& result, bool lazy) {
    if (lazy) qiao::lua::push_lazy_value(L, body);
    else qiao::lua::push_value(L, body);
    lua_setglobal(L, "body");
    if (luaL_dostring(L, script.c_str()) != LUA_OK) {
      std::string error = lua_tostring(L, -1);
      lua_pop(L, 1);
      return "error: " + error;
    }
    std::string text = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    result = *qiao::lua::to_value(L, -1, "result");
    lua_pop(L, 1);
    return text;
  }
};

}  // namespace

TEST_CASE("hl7 Lua library", "[hl7v2]") {
  Lua lua;
  const Value oru = decode_ok(read_data("oru_r01_utf8.hl7"));
  CHECK(lua.run("return hl7.get(body, 'PID-5.1')", oru) == "张");
  CHECK(lua.run("return hl7.get(body, 'OBX[2]-5')", oru) == "98");
  CHECK(lua.run("return tostring(hl7.get(body, 'OBX[9]-5'))", oru) == "nil");
  CHECK(lua.run("return tostring(hl7.get(body, 'ZZZ-1'))", oru) == "nil");
  CHECK(lua.run("return hl7.get(body, 'MSH-9')[2] .. hl7.get(body, 'MSH-1')", oru) == "R01|");
  CHECK(lua.run("local b = hl7.set(body, 'OBX[3]-5', 'changed'); return hl7.get(b, 'OBX[3]-5')", oru) == "changed");
  CHECK(lua.run("body.segments[2] = 'not a segment'; return hl7.get(body, 'OBX[2]-5')", oru) == "98");
  CHECK(lua.run("return hl7.get(body, 'PID-3')[4]", oru) == "HOSP01");
  CHECK(lua.run("return hl7.get(body, 'PID-3.4.1')", oru) == "HOSP01");
  CHECK(lua.run("return body.segments[1].fields[10]", oru) == "LAB20261120001");  // Lua index = MSH-10
  CHECK(lua.run("local b = hl7.set(body, 'PID-3.1', '123'); return hl7.get(b, 'PID-3.1') .. hl7.get(body, 'PID-3.1')",
                oru) == "123100234");
  Value changed;
  lua.run("return hl7.set(body, 'OBX[4]-5', 42)", oru, &changed);
  CHECK(hl7::text_at(changed, "OBX[4]-1") == "");
  CHECK(*hl7::get(changed, "OBX[4]-5") == Value(std::int64_t{42}));
  CHECK(lua.run("return hl7.get('MSH|^~\\\\&|A\\nPID|1||9^^^H', 'PID-3.4')", Value()) == "H");  // ER7 text works too
  CHECK(lua.run("return hl7.get(body, 'PID-')", oru) ==
        "error: hl7: path 'PID-': expected a field number ≥ 1 after '-'");
  CHECK(lua.run("return hl7.get(42, 'PID-1')", oru) ==
        "error: hl7: the body must be a decoded HL7 message (table) or ER7 text");
  CHECK(lua.run("return hl7.get('garbage', 'PID-1')", oru).rfind("error: hl7v2: segment 1: invalid segment id", 0) ==
        0);
  CHECK(lua.run("return hl7.get(body)", oru).find("bad argument #2") != std::string::npos);
  // A field or segment a script made unconvertible is named by its place in the Lua table.
  CHECK(lua.run("body.segments[2].fields[5] = print; return hl7.get(body, 'PID-5')", oru)
            .find("body.segments[2].fields[5]") != std::string::npos);
  CHECK(lua.run("body.segments[2].fields[2] = { x = print }; return hl7.get(body, 'PID')", oru)
            .find("body.segments[2].fields[2].x") != std::string::npos);

  Value ack;
  lua.run("return hl7.ack(body, 'AE', 'PID-3 unknown')", oru, &ack);
  CHECK(hl7::text_at(ack, "MSA-1") == "AE");
  CHECK(hl7::text_at(ack, "MSA-2") == "LAB20261120001");
  CHECK(hl7::text_at(ack, "ERR-8") == "PID-3 unknown");
  CHECK(lua.run("return hl7.ack(hl7.ack(body, 'AA'), 'AA')", oru) ==
        "error: hl7: will not acknowledge an acknowledgement (MSH-9 is ACK)");
  CHECK(lua.run("return tostring(hl7.ack_wanted(body, 'AA'))", oru) == "true");

  CHECK(lua.run("return hl7.escape('A|B\\nC')", oru) == "A\\F\\B\\.br\\C");
  CHECK(lua.run("return hl7.unescape('A\\\\F\\\\B\\\\.br\\\\C')", oru) == "A|B\nC");
  CHECK(lua.run("return hl7.escape('a#b', 'MSH#$%@*#HIS')", Value()) == "a@F@b");
  CHECK(lua.run("return hl7.unescape('a@F@b', 'MSH#$%@*#HIS')", Value()) == "a#b");
  CHECK(lua.run("return hl7.escape(nil)", oru).find("bad argument #1") != std::string::npos);
}

TEST_CASE("hl7.get reads a body no script changed from its Value, without filling its tables", "[hl7v2]") {
  Lua lua;
  qiao::lua::push_lazy_value(lua.L, decode_ok(read_data("oru_r01_utf8.hl7")));
  lua_setglobal(lua.L, "body");
  REQUIRE(luaL_dostring(lua.L, "return hl7.get(body, 'PID-5.1') .. hl7.get(body, 'OBX[2]-5')") == LUA_OK);
  CHECK(std::string(lua_tostring(lua.L, -1)) == "张98");
  lua_getglobal(lua.L, "body");
  CHECK(qiao::lua::untouched_value(lua.L, -1) != nullptr);
  lua_settop(lua.L, 0);
  // Once a script changed it, hl7.get reads the tables.
  REQUIRE(luaL_dostring(lua.L, "body.segments[2].fields[5][1] = 'Li'; return hl7.get(body, 'PID-5.1')") == LUA_OK);
  CHECK(std::string(lua_tostring(lua.L, -1)) == "Li");
  lua_settop(lua.L, 0);
}
