#include "core/lua/lua_environment.hpp"

#include <cstdlib>
#include <lua.hpp>
#include <string>

#include "core/lua/lua_value.hpp"

namespace qiao::lua {

namespace {

// Registry keys and the read-only views' marker; their addresses are unique light userdata.
char environment_metatable_key;
char read_only_marker;

bool is_read_only_view(lua_State* L, int index) {
  if (!lua_getmetatable(L, index)) return false;
  const bool marked = lua_rawgetp(L, -1, &read_only_marker) != LUA_TNIL;
  lua_pop(L, 2);
  return marked;
}

[[noreturn]] void refuse_change(lua_State* L, int view) {
  lua_getmetatable(L, view);
  lua_getfield(L, -1, "__name");
  luaL_error(L, "%s is shared by every message and cannot be changed; keep a message's data in locals or msg.vars",
             lua_tostring(L, -1));
  std::abort();  // luaL_error does not return
}

// __newindex of a view: every key is absent from the view itself, so every write lands here.
int view_newindex(lua_State* L) { refuse_change(L, 1); }

// __pairs and __len of a view answer for the table behind it, so `pairs(string)` still lists it.
int view_pairs(lua_State* L) {
  lua_getmetatable(L, 1);
  lua_pushcfunction(L, [](lua_State* state) -> int {
    lua_settop(state, 2);
    return lua_next(state, 1) ? 2 : (lua_pushnil(state), 1);
  });
  lua_getfield(L, -2, "__index");
  lua_pushnil(L);
  return 3;
}

int view_len(lua_State* L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__index");
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, -1)));
  return 1;
}

// rawset bypasses __newindex, so the base offers one that refuses the shared views.
int guarded_rawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (is_read_only_view(L, 1)) refuse_change(L, 1);
  fill_table(L, 1);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// Replaces the table at the top with its read-only view; tables inside it are viewed in turn, in
// place, since the view is from now on the only way a script reaches the table behind it.
// `cache` maps each table seen to its view, so a table reached twice gets one view.
void replace_with_view(lua_State* L, int cache, const std::string& name) {
  luaL_checkstack(L, 8, "sealing the Lua globals");
  lua_pushvalue(L, -1);
  if (lua_rawget(L, cache) != LUA_TNIL) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  const int table = lua_gettop(L);

  lua_newtable(L);  // the view
  lua_createtable(L, 0, 7);
  lua_pushvalue(L, table);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, view_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, view_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushcfunction(L, view_len);
  lua_setfield(L, -2, "__len");
  protect_shared_metatable(L, -1);
  lua_pushstring(L, name.c_str());
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 1);
  lua_rawsetp(L, -2, &read_only_marker);
  lua_setmetatable(L, -2);
  const int view = lua_gettop(L);

  lua_pushvalue(L, table);
  lua_pushvalue(L, view);
  lua_rawset(L, cache);

  lua_pushnil(L);
  while (lua_next(L, table)) {
    if (lua_istable(L, -1)) {
      replace_with_view(L, cache,
                        name + (lua_type(L, -2) == LUA_TSTRING ? "." + std::string(lua_tostring(L, -2)) : "[]"));
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, table);  // assigning an existing field keeps the traversal valid
    } else {
      lua_pop(L, 1);
    }
  }
  lua_remove(L, table);
}

}  // namespace

void protect_shared_metatable(lua_State* L, int index) {
  index = lua_absindex(L, index);
  lua_pushboolean(L, 0);
  lua_setfield(L, index, "__metatable");
}

void seal_globals(lua_State* L) {
  lua_newtable(L);
  const int cache = lua_gettop(L);
  lua_newtable(L);
  const int base = lua_gettop(L);

  lua_pushglobaltable(L);
  const int globals = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, globals)) {
    // Each environment is its own _G.
    if (lua_type(L, -2) == LUA_TSTRING && std::string_view(lua_tostring(L, -2)) == "_G") {
      lua_pop(L, 1);
      continue;
    }
    if (lua_istable(L, -1)) replace_with_view(L, cache, lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, base);
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, guarded_rawset);
  lua_setfield(L, base, "rawset");

  lua_createtable(L, 0, 2);
  lua_pushvalue(L, base);
  lua_setfield(L, -2, "__index");
  protect_shared_metatable(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &environment_metatable_key);

  // ("x"):upper() finds the string library through the strings' metatable, which scripts must not
  // reach: its __index is the library itself.
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) {
    protect_shared_metatable(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 3);  // "", base, cache
}

void push_message_environment(lua_State* L) {
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &environment_metatable_key);
  lua_setmetatable(L, -2);
}

}  // namespace qiao::lua
