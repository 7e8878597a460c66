#include "core/lua/lua_codecs.hpp"

#include <lua.hpp>
#include <string>

namespace qiao::lua {

namespace {

char lookup_key;  // its address is the registry key

}  // namespace

void set_codec_lookup(lua_State* L, const CodecLookup* lookup) {
  lua_pushlightuserdata(L, const_cast<CodecLookup*>(lookup));
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lookup_key);
}

Expected<std::shared_ptr<const Codec>> find_codec(lua_State* L, std::string_view name) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lookup_key);
  const auto* lookup = static_cast<const CodecLookup*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (!lookup || !*lookup)
    return make_error(ErrorKind::config, "codec '" + std::string(name) + "': this Lua state has no codecs");
  return (*lookup)(name);
}

}  // namespace qiao::lua
