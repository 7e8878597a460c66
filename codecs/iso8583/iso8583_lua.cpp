#include "codecs/iso8583/iso8583_lua.hpp"

#include <lua.hpp>
#include <string>

#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/response.hpp"
#include "core/lua/lua_codecs.hpp"
#include "core/lua/lua_value.hpp"

namespace qiao::iso8583 {

namespace {

// luaL_error longjmps over C++ frames, so every function does its work in a scope that leaves
// nothing to destroy, then raises the error message it left on the stack.

bool push_error(lua_State* L, const std::string& message) {
  lua_pushlstring(L, message.data(), message.size());
  return false;
}

// The spec behind a codec name such as "iso8583:cup", resolved as qiao.codec.decode resolves it.
Expected<std::shared_ptr<const Codec>> iso_codec(lua_State* L, int index) {
  const char* name = lua_tostring(L, index);
  auto codec = lua::find_codec(L, name);
  if (!codec) return std::move(codec).error();
  if (!dynamic_cast<const Iso8583Codec*>(codec->get()))
    return make_error(ErrorKind::flow, "iso8583: codec '" + std::string(name) + "' is not an iso8583 codec");
  return codec;
}

const Spec& spec_of(const std::shared_ptr<const Codec>& codec) {
  return static_cast<const Iso8583Codec&>(*codec).spec();
}

int l_response(lua_State* L) {
  luaL_checkstring(L, 1);
  luaL_checkany(L, 2);
  bool ok = true;
  {
    auto codec = iso_codec(L, 1);
    if (!codec) {
      ok = push_error(L, codec.error().message);
    } else {
      Expected<Value> request = make_error(ErrorKind::flow, "");
      if (lua_type(L, 2) == LUA_TSTRING) {
        std::size_t len = 0;
        const char* s = lua_tolstring(L, 2, &len);
        request = decode(make_buffer(std::string(s, len)), spec_of(*codec));
      } else if (lua_istable(L, 2)) {
        request = lua::to_value(L, 2, "request");
      } else {
        request =
            make_error(ErrorKind::flow, "iso8583.response: the request must be a decoded message (table) or its bytes");
      }
      auto response = request ? make_response(*request, spec_of(*codec)) : Expected<Value>(std::move(request).error());
      if (!response) ok = push_error(L, response.error().message);
      else lua::push_lazy_value(L, std::move(*response));
    }
  }
  return ok ? 1 : lua_error(L);
}

int l_mac_input(lua_State* L) {
  luaL_checkstring(L, 1);
  luaL_checkany(L, 2);
  bool ok = true;
  {
    auto codec = iso_codec(L, 1);
    if (!codec) {
      ok = push_error(L, codec.error().message);
    } else {
      Expected<MacInput> input = make_error(ErrorKind::flow, "");
      if (lua_type(L, 2) == LUA_TSTRING) {
        std::size_t len = 0;
        const char* s = lua_tolstring(L, 2, &len);
        input = mac_input(make_buffer(std::string(s, len)), spec_of(*codec));
      } else if (lua_istable(L, 2)) {
        auto message = lua::to_value(L, 2, "message");
        input = message ? mac_input(*message, spec_of(*codec)) : Expected<MacInput>(std::move(message).error());
      } else {
        input = make_error(ErrorKind::flow, "iso8583.mac_input: the message must be a table or its bytes");
      }
      if (!input) ok = push_error(L, input.error().message);
      else lua_pushlstring(L, input->bytes().data(), input->bytes().size());
    }
  }
  return ok ? 1 : lua_error(L);
}

}  // namespace

std::string_view Iso8583LuaLibrary::description() const {
  return "ISO 8583 helpers: iso8583.response(codec, request), iso8583.mac_input(codec, message)";
}

void Iso8583LuaLibrary::open(lua_State* L) const {
  static const luaL_Reg functions[] = {{"response", l_response}, {"mac_input", l_mac_input}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
}

}  // namespace qiao::iso8583
