#include "codecs/hl7v2/hl7_lua.hpp"

#include <functional>
#include <lua.hpp>
#include <string>
#include <string_view>

#include "codecs/hl7v2/hl7_ack.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/hl7_path.hpp"
#include "codecs/hl7v2/hl7_text.hpp"
#include "core/lua/lua_value.hpp"

namespace qiao::hl7 {

namespace {

// luaL_error longjmps over C++ frames, so every function does its work in a scope that leaves
// nothing to destroy, then raises the error message it left on the stack.

Expected<Value> body_arg(lua_State* L, int index) {
  if (lua_type(L, index) == LUA_TSTRING) {
    std::size_t len = 0;
    const char* s = lua_tolstring(L, index, &len);
    Options options;
    options.any_line_ending = true;
    return decode(make_buffer(std::string(s, len)), options);
  }
  if (!lua_istable(L, index))
    return make_error(ErrorKind::flow, "hl7: the body must be a decoded HL7 message (table) or ER7 text");
  return lua::to_value(L, index, "body");
}

int raise(lua_State* L) { return lua_error(L); }

bool push_error(lua_State* L, const Error& error) {
  lua_pushlstring(L, error.message.data(), error.message.size());
  return false;
}

// hl7.get reads one place: of a message no script has changed, straight from its Value; of a
// message table, only the field the path names is converted to a Value (converting the whole
// message per call was a tenth of a simple MLLP flow's time, its segment still a tenth), or the
// segment for a bare "PID". Anything else (ER7 text, a batch) goes through body_arg as a whole.
Expected<Value> value_at(lua_State* L, int index, const Path& path) {
  if (const Value* untouched = lua::untouched_value(L, index)) return get(*untouched, path);
  const bool table = lua_istable(L, index);
  if (!table || lua_getfield(L, index, "segments") != LUA_TTABLE) {
    if (table) lua_pop(L, 1);  // what lua_getfield pushed
    auto body = body_arg(L, index);
    if (!body) return std::move(body).error();
    return get(*body, path);
  }
  const int segments = lua_gettop(L);
  lua::fill_table(L, segments);
  const lua_Integer count = static_cast<lua_Integer>(lua_rawlen(L, segments));
  std::size_t seen = 0;
  for (lua_Integer i = 1; i <= count; ++i) {
    lua_rawgeti(L, segments, i);  // the segment
    bool match = false;
    if (lua_istable(L, -1)) {
      if (lua_getfield(L, -1, "id") == LUA_TSTRING) {
        std::size_t len = 0;
        const char* id = lua_tolstring(L, -1, &len);
        match = std::string_view(id, len) == path.segment && ++seen == path.segment_index;
      }
      lua_pop(L, 1);  // the id
    }
    if (match && path.field > 0) {
      Expected<Value> field = Value();
      if (lua_getfield(L, -1, "fields") == LUA_TTABLE) lua::fill_table(L, -1);
      if (lua_istable(L, -1) && static_cast<lua_Unsigned>(path.field) <= lua_rawlen(L, -1)) {
        lua_rawgeti(L, -1, static_cast<lua_Integer>(path.field));
        const std::function<std::string()> place = [i, field = path.field] {
          return "body.segments[" + std::to_string(i) + "].fields[" + std::to_string(field) + "]";
        };
        field = lua::to_value(L, -1, place);
        lua_pop(L, 1);  // the field
      }
      lua_pop(L, 3);  // the fields, the segment and the segments
      if (!field) return std::move(field).error();
      return get_in_field(*field, path);
    }
    if (match) {
      const std::function<std::string()> place = [i] { return "body.segments[" + std::to_string(i) + "]"; };
      auto segment = lua::to_value(L, -1, place);
      lua_pop(L, 2);  // the segment and the segments
      return segment;
    }
    lua_pop(L, 1);  // the segment
  }
  lua_pop(L, 1);
  return Value();  // the message has no such segment
}

int l_get(lua_State* L) {
  luaL_checkany(L, 1);
  luaL_checkstring(L, 2);
  bool ok = true;
  {
    auto path = parse_path(lua_tostring(L, 2));
    auto value = path ? value_at(L, 1, *path) : Expected<Value>(path.error());
    if (!value) ok = push_error(L, value.error());
    else lua::push_value_or_nil(L, *value);
  }
  return ok ? 1 : raise(L);
}

int l_set(lua_State* L) {
  luaL_checkany(L, 1);
  luaL_checkstring(L, 2);
  bool ok = true;
  {
    auto body = body_arg(L, 1);
    Expected<Value> value = lua_isnoneornil(L, 3) ? Expected<Value>(Value("")) : lua::to_value(L, 3, "value");
    if (!body) {
      ok = push_error(L, body.error());
    } else if (!value) {
      ok = push_error(L, value.error());
    } else if (auto done = set(*body, lua_tostring(L, 2), std::move(*value)); !done) {
      ok = push_error(L, done.error());
    } else {
      lua::push_lazy_value(L, std::move(*body));
    }
  }
  return ok ? 1 : raise(L);
}

int l_ack(lua_State* L) {
  luaL_checkany(L, 1);
  luaL_checkstring(L, 2);
  luaL_optstring(L, 3, "");
  bool ok = true;
  {
    auto body = body_arg(L, 1);
    std::size_t len = 0;
    const char* text = lua_isnoneornil(L, 3) ? "" : lua_tolstring(L, 3, &len);
    if (!body) {
      ok = push_error(L, body.error());
    } else if (auto ack = make_ack(*body, lua_tostring(L, 2), std::string_view(text, len)); !ack) {
      ok = push_error(L, ack.error());
    } else {
      lua::push_lazy_value(L, std::move(*ack));
    }
  }
  return ok ? 1 : raise(L);
}

int l_ack_wanted(lua_State* L) {
  luaL_checkany(L, 1);
  luaL_checkstring(L, 2);
  bool ok = true;
  {
    auto body = body_arg(L, 1);
    if (!body) ok = push_error(L, body.error());
    else lua_pushboolean(L, ack_wanted(*body, lua_tostring(L, 2)));
  }
  return ok ? 1 : raise(L);
}

// hl7.escape(text [, body]) and hl7.unescape(text [, body]): the separators are the body's, or
// the standard ones.
template <std::string (*convert)(std::string_view, const Separators&)>
int l_convert_text(lua_State* L) {
  std::size_t len = 0;
  const char* text = luaL_checklstring(L, 1, &len);
  bool ok = true;
  {
    Separators seps;
    if (!lua_isnoneornil(L, 2)) {
      if (auto body = body_arg(L, 2); body) seps = message_separators(*body);
      else ok = push_error(L, body.error());
    }
    if (ok) {
      const std::string converted = convert(std::string_view(text, len), seps);
      lua_pushlstring(L, converted.data(), converted.size());
    }
  }
  return ok ? 1 : raise(L);
}

}  // namespace

std::string_view Hl7LuaLibrary::description() const {
  return "HL7 v2 helpers: hl7.get(body, \"PID-5.1\"), hl7.set(body, path, value), hl7.ack(body, code, text), "
         "hl7.ack_wanted(body, code), hl7.escape(text [, body]), hl7.unescape(text [, body])";
}

void Hl7LuaLibrary::open(lua_State* L) const {
  static const luaL_Reg functions[] = {{"get", l_get},
                                       {"set", l_set},
                                       {"ack", l_ack},
                                       {"ack_wanted", l_ack_wanted},
                                       {"escape", l_convert_text<escape_text>},
                                       {"unescape", l_convert_text<unescape_text>},
                                       {nullptr, nullptr}};
  luaL_newlib(L, functions);
}

}  // namespace qiao::hl7
