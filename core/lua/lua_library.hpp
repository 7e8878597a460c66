#pragma once
// A Lua library a plugin adds to every flow's Lua, e.g. the HL7 codec's `hl7.get(body, "PID-5.1")`.
// Registered in Plugins like codecs; each worker's Lua state opens every library as a global.
// Functions convert with core/lua/lua_value.hpp and raise errors with luaL_error.

#include <string_view>
#include <vector>

struct lua_State;

namespace qiao {

class LuaLibrary {
 public:
  virtual ~LuaLibrary() = default;
  virtual std::string_view name() const = 0;  // the global it is opened as
  virtual std::string_view description() const = 0;
  // Pushes the library's table onto the stack.
  virtual void open(lua_State* L) const = 0;
  // Functions whose first argument is a codec name, e.g. "response" for
  // iso8583.response("iso8583:cup", …): the load builds the codecs they name as literals.
  virtual std::vector<std::string_view> codec_functions() const { return {}; }
};

}  // namespace qiao
