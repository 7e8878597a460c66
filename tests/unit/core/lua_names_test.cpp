// Whether Lua code can name a local of its chunk header: the test that decides whether a
// message's body and vars are pushed into Lua before a script runs. A false "no" would hand a
// script nil for its body, so every doubtful case must say yes.

#include "core/lua/lua_names.hpp"

#include <catch2/catch.hpp>

using qiao::lua::code_names;

TEST_CASE("lua names: a name of its own is a use, a field of the same name is not", "[lua]") {
  CHECK(code_names("return body.n", "body"));
  CHECK(code_names("local x = hl7.get(body, 'PID-3.1')", "body"));
  CHECK(code_names("x = 'a'..body", "body"));
  CHECK(code_names("f{body}", "body"));
  CHECK(code_names("local t = {}\nt[1]=body", "body"));

  CHECK_FALSE(code_names("return vars.his.body", "body"));
  CHECK_FALSE(code_names("return msg.body.n", "body"));
  CHECK_FALSE(code_names("return msg . body", "body"));
  CHECK_FALSE(code_names("obj:body()", "body"));
  CHECK_FALSE(code_names("return { bodyText = 1, nobody = 2, body_ = 3 }", "body"));
  CHECK_FALSE(code_names("return vars", "body"));
}

TEST_CASE("lua names: strings and comments hide a name, and end where Lua ends them", "[lua]") {
  CHECK_FALSE(code_names("return 'body'", "body"));
  CHECK_FALSE(code_names("return \"say \\\"body\\\"\"", "body"));
  CHECK_FALSE(code_names("return [[body]]", "body"));
  CHECK_FALSE(code_names("return [==[ ]] body ]=] ]==]", "body"));
  CHECK_FALSE(code_names("-- body\nreturn 1", "body"));
  CHECK_FALSE(code_names("--[[ body\n body ]] return 1", "body"));
  CHECK_FALSE(code_names("--[=[ ]] body ]=] return 1", "body"));

  CHECK(code_names("return 'x' .. body", "body"));
  CHECK(code_names("return \"a\\\\\" .. body", "body"));  // the escaped backslash ends nothing early
  CHECK(code_names("return [[x]] .. body", "body"));
  CHECK(code_names("-- a comment\nreturn body", "body"));
  CHECK(code_names("--[[ a ]] return body", "body"));
  CHECK(code_names("return 'a\\z\n   b', body", "body"));
}

TEST_CASE("lua names: reading the chunk's arguments or a doubtful spelling counts as a use", "[lua]") {
  CHECK(code_names("local _, _, b = ...; return b", "body"));
  CHECK(code_names("local function f(body) return body end", "body"));
  CHECK(code_names("goto body; ::body::", "body"));
  CHECK(code_names("return 1.5, body", "body"));
  CHECK(code_names("return 0x1p4 .. body", "body"));
}
