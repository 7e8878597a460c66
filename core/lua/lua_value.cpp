#include "core/lua/lua_value.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <lua.hpp>
#include <new>
#include <vector>

#include "core/lua/lua_decimal.hpp"
#include "core/lua/lua_environment.hpp"

namespace qiao::lua {

namespace {

// Registry keys: addresses of these statics are unique light userdata.
char array_metatable_key;
char object_index_key;
char object_newindex_key;
char decimal_texts_key;
char lazy_metatable_key;       // what every lazy table shares until it is filled
char lazy_tree_metatable_key;  // its tree's owner's, which frees the tree
char lazy_node_key;            // in a lazy table: the Value it stands for, as light userdata
char lazy_tree_key;            // in a lazy table: the full userdata owning the tree

DecimalTexts* current_decimal_texts(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &decimal_texts_key);
  auto* texts = static_cast<DecimalTexts*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return texts;
}

constexpr int max_depth = 100;

const Value* lazy_node(lua_State* L, int index);

// Decoded objects have string keys ("39" for ISO 8583 field 39), while scripts write body[39] as
// DESIGN.md does. The other spelling of a key: an integer's decimal text, or the integer a
// canonical decimal text ("39", not "039" or "+39") stands for. Pushes it and returns true, or
// pushes nothing and returns false.
bool push_other_spelling(lua_State* L, int key) {
  if (lua_isinteger(L, key)) {
    lua_pushfstring(L, "%I", static_cast<LUAI_UACINT>(lua_tointeger(L, key)));
    return true;
  }
  if (lua_type(L, key) != LUA_TSTRING) return false;
  std::size_t len = 0;
  const char* s = lua_tolstring(L, key, &len);
  // Most misses are names (body.optional): one comparison rules them out.
  if (len == 0 || len > 18 || s[0] < '0' || s[0] > '9' || (s[0] == '0' && len > 1)) return false;
  lua_Integer n = 0;
  for (std::size_t i = 0; i < len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    n = n * 10 + (s[i] - '0');
  }
  lua_pushinteger(L, n);
  return true;
}

// __index of an ordered object, reached only when the key is absent: the other spelling's value.
int ordered_index(lua_State* L) {
  // 1 = table, 2 = key
  if (!push_other_spelling(L, 2)) return 0;
  lua_rawget(L, 1);
  return 1;
}

// __newindex of an ordered object, reached only when the key is absent. A key present under its
// other spelling is overwritten there (body[39] = "00" replaces "39", never adds a second 39);
// a new key has its position remembered, then is stored.
int ordered_newindex(lua_State* L) {
  // 1 = table, 2 = key, 3 = value
  if (push_other_spelling(L, 2)) {
    lua_pushvalue(L, -1);
    if (lua_rawget(L, 1) != LUA_TNIL) {
      lua_pop(L, 1);
      lua_pushvalue(L, 3);
      lua_rawset(L, 1);
      return 0;
    }
    lua_pop(L, 2);
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__keys");
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, -1));
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, n + 1);
  lua_pop(L, 2);
  lua_rawset(L, 1);
  return 0;
}

void push_object_metatable(lua_State* L, int key_count_hint) {
  lua_createtable(L, 0, 3);
  lua_createtable(L, key_count_hint, 0);
  lua_setfield(L, -2, "__keys");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &object_index_key);
  lua_setfield(L, -2, "__index");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &object_newindex_key);
  lua_setfield(L, -2, "__newindex");
}

bool is_array_table(lua_State* L, int index) {
  if (!lua_getmetatable(L, index)) return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &array_metatable_key);
  const bool is_array = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return is_array;
}

std::string key_text(lua_State* L, int index) {
  if (lua_type(L, index) == LUA_TSTRING) {
    std::size_t len = 0;
    const char* s = lua_tolstring(L, index, &len);
    return std::string(s, len);
  }
  if (lua_isinteger(L, index)) return std::to_string(lua_tointeger(L, index));
  lua_pushvalue(L, index);  // lua_tolstring converts in place; keep the key intact for lua_next
  std::string s = lua_tostring(L, -1) ? lua_tostring(L, -1) : "?";
  lua_pop(L, 1);
  return s;
}

// Where a value being converted sits ("body.items[2].name"), as a chain up to the name the
// caller gave, and spelled out only for an error: building the text for every element was an
// allocation per field of every table converted.
struct Where {
  const std::string* root = nullptr;  // the outermost link's place, as text
  const Where* parent = nullptr;
  std::string_view key;    // ".key" for a member
  lua_Unsigned index = 0;  // "[index]" for an element
  bool member = false;
  const std::function<std::string()>* describe = nullptr;  // or made by this, only for an error

  std::string str() const {
    if (!parent) return root ? *root : (*describe)();
    std::string s = parent->str();
    if (member) s.append(".").append(key);
    else s.append("[").append(std::to_string(index)).append("]");
    return s;
  }
};

Expected<Value> convert(lua_State* L, int index, const Where& where, int depth, const DecimalTexts* texts);

Expected<Value> convert_table(lua_State* L, int index, const Where& where, int depth, const DecimalTexts* texts) {
  if (depth > max_depth) return make_error(ErrorKind::flow, where.str() + ": nested too deeply (a cycle?)");
  index = lua_absindex(L, index);
  luaL_checkstack(L, 8, "converting a table");
  const lua_Unsigned length = lua_rawlen(L, index);

  if (is_array_table(L, index) || length > 0) {
    // A sequence is an array only when it has no other keys.
    std::size_t key_count = 0;
    bool only_sequence = true;
    lua_pushnil(L);
    while (lua_next(L, index)) {
      ++key_count;
      if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 || static_cast<lua_Unsigned>(lua_tointeger(L, -2)) > length)
        only_sequence = false;
      lua_pop(L, 1);
    }
    if (only_sequence && key_count == length) {
      Array array;
      array.reserve(length);
      for (lua_Unsigned i = 1; i <= length; ++i) {
        lua_rawgeti(L, index, static_cast<lua_Integer>(i));
        const Where at{nullptr, &where, {}, i, false, nullptr};
        auto item = convert(L, -1, at, depth + 1, texts);
        lua_pop(L, 1);
        if (!item) return std::move(item).error();
        array.push_back(std::move(*item));
      }
      return Value(std::move(array));
    }
  }

  Object object;
  if (lua_getmetatable(L, index)) {
    lua_getfield(L, -1, "__keys");
    if (lua_istable(L, -1)) {
      const lua_Unsigned n = lua_rawlen(L, -1);
      for (lua_Unsigned i = 1; i <= n; ++i) {
        lua_rawgeti(L, -1, static_cast<lua_Integer>(i));  // key
        lua_pushvalue(L, -1);
        lua_rawget(L, index);  // value
        if (!lua_isnil(L, -1)) {
          std::string key = key_text(L, -2);
          if (object.find(key) == nullptr) {  // not a key written twice in __keys
            const Where at{nullptr, &where, key, 0, true, nullptr};
            auto member = convert(L, -1, at, depth + 1, texts);
            if (!member) {
              lua_pop(L, 4);
              return std::move(member).error();
            }
            object.push_back(std::move(key), std::move(*member));
          }
        }
        lua_pop(L, 2);
      }
    }
    lua_pop(L, 2);
  }

  // Keys without a recorded position (tables built by scripts) follow in sorted order, so the
  // output is at least deterministic.
  std::vector<std::pair<std::string, Value>> rest;
  lua_pushnil(L);
  while (lua_next(L, index)) {
    std::string key = key_text(L, -2);
    if (object.find(key) == nullptr) {
      const Where at{nullptr, &where, key, 0, true, nullptr};
      auto member = convert(L, -1, at, depth + 1, texts);
      if (!member) {
        lua_pop(L, 2);
        return std::move(member).error();
      }
      rest.emplace_back(std::move(key), std::move(*member));
    }
    lua_pop(L, 1);
  }
  std::sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [key, value] : rest) object.push_back(std::move(key), std::move(value));
  return Value(std::move(object));
}

Expected<Value> convert(lua_State* L, int index, const Where& where, int depth, const DecimalTexts* texts) {
  switch (lua_type(L, index)) {
    case LUA_TNIL: return Value();
    case LUA_TBOOLEAN: return Value(lua_toboolean(L, index) != 0);
    case LUA_TNUMBER: {
      if (lua_isinteger(L, index)) return Value(static_cast<std::int64_t>(lua_tointeger(L, index)));
      const double d = lua_tonumber(L, index);
      if (const std::string* text = texts ? texts->find(d) : nullptr) return Value(Decimal{*text});
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0)
        return Value(static_cast<std::int64_t>(d));
      return Value(d);
    }
    case LUA_TSTRING: {
      std::size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      return Value(std::string(s, len));
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, index) == nullptr) return Value();
      break;
    case LUA_TTABLE:
      if (const Value* node = lazy_node(L, index)) return *node;
      return convert_table(L, index, where, depth, texts);
    case LUA_TUSERDATA:
      if (auto text = decimal_text(L, index)) return Value(Decimal{std::move(*text)});
      break;
    default: break;
  }
  return make_error(ErrorKind::flow, where.str() + ": cannot convert a Lua " + std::string(luaL_typename(L, index)) +
                                         " to a message value");
}

void push_value(lua_State* L, const Value& value, DecimalTexts* texts);

void push_object(lua_State* L, const Object& object, DecimalTexts* texts) {
  luaL_checkstack(L, 6, "converting a value");
  lua_createtable(L, 0, static_cast<int>(object.size()));
  push_object_metatable(L, static_cast<int>(object.size()));
  lua_getfield(L, -1, "__keys");
  int position = 0;
  for (const auto& [key, member] : object) {
    lua_pushlstring(L, key.data(), key.size());
    lua_rawseti(L, -2, ++position);
    lua_pushlstring(L, key.data(), key.size());
    push_value(L, member, texts);
    lua_rawset(L, -5);
  }
  lua_pop(L, 1);
  lua_setmetatable(L, -2);
}

void push_value(lua_State* L, const Value& value, DecimalTexts* texts) {
  switch (value.type()) {
    case Value::Type::null: lua_pushlightuserdata(L, nullptr); return;
    case Value::Type::boolean: lua_pushboolean(L, value.as_bool()); return;
    case Value::Type::integer: lua_pushinteger(L, value.as_int()); return;
    case Value::Type::real: lua_pushnumber(L, value.as_real()); return;
    case Value::Type::decimal: {
      const double number = value.to_double();
      if (texts) texts->remember(number, value.as_decimal().text);
      lua_pushnumber(L, number);
      return;
    }
    case Value::Type::string: {
      auto s = value.as_string();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case Value::Type::bytes: {
      auto s = value.as_bytes().data.view();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case Value::Type::array: {
      const Array& array = value.as_array();
      luaL_checkstack(L, 4, "converting a value");
      lua_createtable(L, static_cast<int>(array.size()), 0);
      lua_Integer i = 0;
      for (const auto& item : array) {
        push_value(L, item, texts);
        lua_rawseti(L, -2, ++i);
      }
      lua_rawgetp(L, LUA_REGISTRYINDEX, &array_metatable_key);
      lua_setmetatable(L, -2);
      return;
    }
    case Value::Type::object: push_object(L, value.as_object(), texts); return;
  }
}

// Lazy tables. A Value's array or object crosses into Lua as an empty table that stands for it
// (the node and the tree's owner under keys only C code can spell) with a metatable every such
// table shares: reading a scalar member answers from the node; the first use that needs the table
// itself (a container member, a write, pairs, next, rawget) fills it with one level, its
// containers lazy in turn, and gives it the ordinary metatable. A script that reads two fields of
// a large message so converts two levels' worth, not the message; converting back, or checking
// that it is unchanged, copies or compares the untouched tables' nodes in C++.

// The tree lazy tables stand for, owned by a full userdata that each of them refers to, so it
// lives while any of them does, whatever happens to the message it came from.
struct LazyTree {
  Value root;
};

int free_lazy_tree(lua_State* L) {
  static_cast<LazyTree*>(lua_touserdata(L, 1))->~LazyTree();
  return 0;
}

void push_lazy_table(lua_State* L, const Value& node, int tree) {
  lua_createtable(L, 0, 2);
  lua_pushlightuserdata(L, const_cast<Value*>(&node));
  lua_rawsetp(L, -2, &lazy_node_key);
  lua_pushvalue(L, tree);
  lua_rawsetp(L, -2, &lazy_tree_key);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lazy_metatable_key);
  lua_setmetatable(L, -2);
}

const Value* lazy_node(lua_State* L, int index) {
  if (!lua_getmetatable(L, index)) return nullptr;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lazy_metatable_key);
  const bool lazy = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  if (!lazy) return nullptr;
  lua_rawgetp(L, index, &lazy_node_key);
  const auto* node = static_cast<const Value*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return node;
}

// A member of a lazy table's node under the key at `key`: an array's element by its integer
// position, an object's member by its name or by an integer's decimal text (body[39] is "39").
const Value* lazy_member(lua_State* L, const Value& node, int key) {
  if (node.is_array()) {
    int exact = 0;
    const lua_Integer position = lua_tointegerx(L, key, &exact);
    const Array& items = node.as_array();
    if (!exact || position < 1 || static_cast<lua_Unsigned>(position) > items.size()) return nullptr;
    return &items[static_cast<std::size_t>(position - 1)];
  }
  if (lua_type(L, key) == LUA_TSTRING) {
    std::size_t len = 0;
    const char* s = lua_tolstring(L, key, &len);
    return node.as_object().find(std::string_view(s, len));
  }
  if (!lua_isinteger(L, key)) return nullptr;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, lua_tointeger(L, key));
  if (ec != std::errc()) return nullptr;
  return node.as_object().find(std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void push_member(lua_State* L, const Value& member, int tree, DecimalTexts* texts) {
  if (member.is_array() || member.is_object()) push_lazy_table(L, member, tree);
  else push_value(L, member, texts);
}

// Fills the lazy table at `index` with its node's first level and gives it the metatable
// push_value would have; no-op for any other value.
void fill_lazy_table(lua_State* L, int index) {
  const Value* node = lazy_node(L, index);
  if (!node) return;
  index = lua_absindex(L, index);
  luaL_checkstack(L, 8, "filling a table");
  DecimalTexts* texts = current_decimal_texts(L);
  lua_rawgetp(L, index, &lazy_tree_key);
  const int tree = lua_gettop(L);
  lua_pushnil(L);
  lua_rawsetp(L, index, &lazy_node_key);
  lua_pushnil(L);
  lua_rawsetp(L, index, &lazy_tree_key);
  if (node->is_array()) {
    lua_Integer position = 0;
    for (const auto& item : node->as_array()) {
      push_member(L, item, tree, texts);
      lua_rawseti(L, index, ++position);
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &array_metatable_key);
  } else {
    const Object& object = node->as_object();
    push_object_metatable(L, static_cast<int>(object.size()));
    lua_getfield(L, -1, "__keys");
    int position = 0;
    for (const auto& [key, member] : object) {
      lua_pushlstring(L, key.data(), key.size());
      lua_pushvalue(L, -1);
      lua_rawseti(L, -3, ++position);
      push_member(L, member, tree, texts);
      lua_rawset(L, index);
    }
    lua_pop(L, 1);  // the keys
  }
  lua_setmetatable(L, index);
  lua_settop(L, tree - 1);
}

// __index of a lazy table: a scalar member from the node; a container member fills the table,
// so that the member's table is the same one every time it is read.
int lazy_index(lua_State* L) {
  const Value* node = lazy_node(L, 1);
  const Value* member = node ? lazy_member(L, *node, 2) : nullptr;
  if (!member) return 0;
  if (member->is_array() || member->is_object()) {
    fill_lazy_table(L, 1);
    lua_settop(L, 2);
    lua_gettable(L, 1);
    return 1;
  }
  push_value(L, *member, current_decimal_texts(L));
  return 1;
}

int lazy_newindex(lua_State* L) {
  fill_lazy_table(L, 1);
  lua_settop(L, 3);
  lua_settable(L, 1);
  return 0;
}

int lazy_len(lua_State* L) {
  const Value* node = lazy_node(L, 1);
  lua_pushinteger(L, node && node->is_array() ? static_cast<lua_Integer>(node->as_array().size()) : 0);
  return 1;
}

int next_of_filled(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  fill_lazy_table(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

int lazy_pairs(lua_State* L) {
  fill_lazy_table(L, 1);
  lua_pushcfunction(L, next_of_filled);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// The base library's functions that see a table as it is stored (next, the raw ones, its
// metatable) find a lazy table filled: a closure over the original fills its first argument, then
// calls it.
int fill_then_call(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE) fill_lazy_table(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void install_lazy_tables(lua_State* L) {
  static const luaL_Reg lazy_methods[] = {{"__index", lazy_index},
                                          {"__newindex", lazy_newindex},
                                          {"__len", lazy_len},
                                          {"__pairs", lazy_pairs},
                                          {nullptr, nullptr}};
  luaL_newlib(L, lazy_methods);
  lua::protect_shared_metatable(L, -1);  // every message's lazy tables share it
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lazy_metatable_key);

  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, free_lazy_tree);
  lua_setfield(L, -2, "__gc");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lazy_tree_metatable_key);

  for (const char* name : {"next", "rawget", "rawlen", "rawset", "getmetatable", "setmetatable"}) {
    if (lua_getglobal(L, name) == LUA_TNIL) {
      lua_pop(L, 1);  // a state without the base library
      continue;
    }
    lua_pushcclosure(L, fill_then_call, 1);
    lua_setglobal(L, name);
  }
}

// How unchanged() and mirrors() compare: with the current message's decimal texts, and for
// mirrors() strictly, as a fresh push would have made the value.
struct Comparison {
  const DecimalTexts* texts;
  bool strict;
};

// unchanged(): whether the Lua number at `index` is `value` as it was pushed, or what to_value
// would make of it anyway.
bool number_unchanged(lua_State* L, int index, const Value& value, const Comparison& how) {
  if (lua_isinteger(L, index)) return value.is_int() && value.as_int() == lua_tointeger(L, index);
  const double d = lua_tonumber(L, index);
  switch (value.type()) {
    case Value::Type::decimal:
      if (how.strict) {
        // The next conversion gives the decimal its text back only when that is the one remembered.
        const std::string* text = how.texts ? how.texts->find(d) : nullptr;
        if (!text || *text != value.as_decimal().text) return false;
      }
      return value.to_double() == d;
    case Value::Type::real: return value.as_real() == d;
    case Value::Type::integer:
      return !how.strict && (!how.texts || !how.texts->find(d)) && static_cast<double>(value.as_int()) == d &&
             std::fabs(d) < 9007199254740992.0;
    default: return false;
  }
}

// The text of a key as to_value writes it, without allocating: a string's bytes, an integer's
// digits in `digits`. False for keys to_value would have to stringify otherwise.
bool key_view(lua_State* L, int index, char (&digits)[24], std::string_view& out) {
  if (lua_type(L, index) == LUA_TSTRING) {
    std::size_t len = 0;
    const char* s = lua_tolstring(L, index, &len);
    out = std::string_view(s, len);
    return true;
  }
  if (!lua_isinteger(L, index)) return false;
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, lua_tointeger(L, index));
  if (ec != std::errc()) return false;
  out = std::string_view(digits, static_cast<std::size_t>(end - digits));
  return true;
}

bool unchanged_at(lua_State* L, int index, const Value& value, int depth, const Comparison& how);
bool object_unchanged(lua_State* L, int index, const Object& object, int depth, const Comparison& how);

// A table to_value would make an Array of: marked as one, or a sequence, with no other keys.
bool converts_to_array(lua_State* L, int index, lua_Unsigned length) {
  if (!is_array_table(L, index) && length == 0) return false;
  std::size_t key_count = 0;
  lua_pushnil(L);
  while (lua_next(L, index)) {
    ++key_count;
    const bool in_sequence =
        lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && static_cast<lua_Unsigned>(lua_tointeger(L, -2)) <= length;
    lua_pop(L, 1);
    if (!in_sequence) {
      lua_pop(L, 1);
      return false;
    }
  }
  return key_count == length;
}

bool table_unchanged(lua_State* L, int index, const Value& value, int depth, const Comparison& how) {
  if (depth > max_depth || !(value.is_array() || value.is_object())) return false;
  index = lua_absindex(L, index);
  luaL_checkstack(L, 8, "comparing a table");
  const lua_Unsigned length = lua_rawlen(L, index);
  const bool array = converts_to_array(L, index, length);
  if (value.is_array()) {
    const Array& items = value.as_array();
    if (!array || length != items.size() || (how.strict && !is_array_table(L, index))) return false;
    for (lua_Unsigned i = 1; i <= length; ++i) {
      lua_rawgeti(L, index, static_cast<lua_Integer>(i));
      const bool same = unchanged_at(L, -1, items[i - 1], depth + 1, how);
      lua_pop(L, 1);
      if (!same) return false;
    }
    return true;
  }
  return !array && object_unchanged(L, index, value.as_object(), depth, how);
}

// Whether the metatable on top of the stack has the ordered object's __index and __newindex.
bool has_ordered_methods(lua_State* L) {
  bool ours = true;
  for (auto [field, key] : {std::pair{"__index", &object_index_key}, std::pair{"__newindex", &object_newindex_key}}) {
    lua_getfield(L, -1, field);
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    ours = ours && lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  return ours;
}

// `index` is absolute, the table is no array to to_value.
bool object_unchanged(lua_State* L, int index, const Object& object, int depth, const Comparison& how) {
  // An object in the order its __keys give, as to_value reads it; a table without them (built by
  // a script) is sorted by to_value, which is a change worth converting.
  const auto members = object.begin();
  std::size_t matched = 0;
  if (!lua_getmetatable(L, index)) return false;
  if (how.strict && !has_ordered_methods(L)) {
    lua_pop(L, 1);
    return false;
  }
  lua_getfield(L, -1, "__keys");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 2);
    return false;
  }
  const lua_Unsigned n = lua_rawlen(L, -1);
  bool same = true;
  for (lua_Unsigned i = 1; i <= n && same; ++i) {
    lua_rawgeti(L, -1, static_cast<lua_Integer>(i));  // key
    lua_pushvalue(L, -1);
    lua_rawget(L, index);  // value
    char digits[24];
    std::string_view key;
    if (!lua_isnil(L, -1)) {
      if (!key_view(L, -2, digits, key)) {
        same = false;
      } else if (std::none_of(members, members + static_cast<std::ptrdiff_t>(matched),
                              [&](const Object::Member& m) { return m.first == key; })) {
        // Not a key written twice in __keys (removed, then added again): the next member.
        same = matched < object.size() && members[static_cast<std::ptrdiff_t>(matched)].first == key &&
               unchanged_at(L, -1, members[static_cast<std::ptrdiff_t>(matched)].second, depth + 1, how);
        ++matched;
      }
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 2);
  if (!same || matched != object.size()) return false;
  // Keys set without passing __newindex (rawset) are not in __keys: to_value adds them.
  std::size_t key_count = 0;
  lua_pushnil(L);
  while (lua_next(L, index)) {
    ++key_count;
    lua_pop(L, 1);
  }
  return key_count == matched;
}

bool unchanged_at(lua_State* L, int index, const Value& value, int depth, const Comparison& how) {
  switch (lua_type(L, index)) {
    case LUA_TNIL: return value.is_null() && !how.strict;  // pushed inside a table, a null is qiao.null
    case LUA_TBOOLEAN: return value.is_bool() && value.as_bool() == (lua_toboolean(L, index) != 0);
    case LUA_TNUMBER: return number_unchanged(L, index, value, how);
    case LUA_TSTRING: {
      std::size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      const std::string_view text(s, len);
      // Bytes went in as a string; the same string back is the same bytes.
      if (value.is_bytes()) return value.as_bytes().data.view() == text;
      return value.is_string() && value.as_string() == text;
    }
    case LUA_TLIGHTUSERDATA: return lua_touserdata(L, index) == nullptr && value.is_null();
    case LUA_TTABLE:
      if (const Value* node = lazy_node(L, index)) return node == &value || *node == value;
      return table_unchanged(L, index, value, depth, how);
    case LUA_TUSERDATA:
      if (!value.is_decimal() || how.strict) return false;
      if (auto text = decimal_text(L, index)) return *text == value.as_decimal().text;
      return false;
    default: return false;
  }
}

}  // namespace

void install_value_support(lua_State* L) {
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "array");
  lua_setfield(L, -2, "__name");
  lua::protect_shared_metatable(L, -1);  // every message's arrays share it
  lua_rawsetp(L, LUA_REGISTRYINDEX, &array_metatable_key);
  lua_pushcfunction(L, ordered_index);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &object_index_key);
  lua_pushcfunction(L, ordered_newindex);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &object_newindex_key);
  install_lazy_tables(L);
  install_decimal_support(L);
}

void DecimalTexts::remember(double number, std::string_view text) {
  auto [it, inserted] = texts_.try_emplace(std::bit_cast<std::uint64_t>(number), text);
  if (!inserted && !it->second.empty() && it->second != text) {
    it->second.clear();
    has_ambiguous_ = true;
  }
}

const std::string* DecimalTexts::find(double number) const {
  auto it = texts_.find(std::bit_cast<std::uint64_t>(number));
  return it == texts_.end() || it->second.empty() ? nullptr : &it->second;
}

void use_decimal_texts(lua_State* L, DecimalTexts* texts) {
  lua_pushlightuserdata(L, texts);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &decimal_texts_key);
}

const std::string* remembered_decimal_text(lua_State* L, double number) {
  const DecimalTexts* texts = current_decimal_texts(L);
  return texts ? texts->find(number) : nullptr;
}

void keep_decimal_texts(Value& after, const Value& before) {
  if (before.is_decimal()) {
    if ((after.is_int() || after.is_real()) && after.to_double() == before.to_double()) after = before;
    return;
  }
  if (after.is_array() && before.is_array()) {
    const Array& old_items = before.as_array();
    Array& items = after.as_array();
    for (std::size_t i = 0; i < items.size() && i < old_items.size(); ++i) keep_decimal_texts(items[i], old_items[i]);
    return;
  }
  if (after.is_object() && before.is_object()) {
    const Object& old_members = before.as_object();
    std::size_t position = 0;
    for (auto& [key, member] : after.as_object()) {
      // Scripts seldom reorder keys: the member at the same position is usually the one.
      const Value* old_member = nullptr;
      if (position < old_members.size() &&
          (old_members.begin() + static_cast<std::ptrdiff_t>(position))->first == key) {
        old_member = &(old_members.begin() + static_cast<std::ptrdiff_t>(position))->second;
      } else {
        old_member = old_members.find(key);
      }
      if (old_member) keep_decimal_texts(member, *old_member);
      ++position;
    }
  }
}

void push_value(lua_State* L, const Value& value) { push_value(L, value, current_decimal_texts(L)); }

void push_value_or_nil(lua_State* L, const Value& value) {
  if (value.is_null()) {
    lua_pushnil(L);
  } else {
    push_value(L, value);
  }
}

void push_lazy_value(lua_State* L, Value value) {
  // A scalar, or an empty container (filled on its first write anyway), has nothing to put off.
  const bool container = value.is_array() || value.is_object();
  if (!container || (value.is_array() ? value.as_array().empty() : value.as_object().empty())) {
    push_value(L, value, current_decimal_texts(L));
    return;
  }
  luaL_checkstack(L, 4, "converting a value");
  void* memory = lua_newuserdatauv(L, sizeof(LazyTree), 0);
  auto* tree = new (memory) LazyTree{std::move(value)};
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lazy_tree_metatable_key);
  lua_setmetatable(L, -2);
  push_lazy_table(L, tree->root, lua_gettop(L));
  lua_remove(L, -2);  // the tree, which the table refers to
}

void push_lazy_value_or_nil(lua_State* L, Value value) {
  if (value.is_null()) {
    lua_pushnil(L);
  } else {
    push_lazy_value(L, std::move(value));
  }
}

const Value* untouched_value(lua_State* L, int index) {
  return lua_type(L, index) == LUA_TTABLE ? lazy_node(L, index) : nullptr;
}

void fill_table(lua_State* L, int index) {
  if (lua_type(L, index) == LUA_TTABLE) fill_lazy_table(L, index);
}

bool unchanged(lua_State* L, int index, const Value& value) {
  return unchanged_at(L, index, value, 0, Comparison{current_decimal_texts(L), false});
}

namespace {

bool object_at_unchanged(lua_State* L, int index, const Object& object, const Comparison& how) {
  if (!lua_istable(L, index)) return false;
  if (const Value* node = lazy_node(L, index)) return node->is_object() && node->as_object() == object;
  index = lua_absindex(L, index);
  luaL_checkstack(L, 8, "comparing a table");
  return !converts_to_array(L, index, lua_rawlen(L, index)) && object_unchanged(L, index, object, 0, how);
}

}  // namespace

bool unchanged(lua_State* L, int index, const Object& object) {
  return object_at_unchanged(L, index, object, Comparison{current_decimal_texts(L), false});
}

bool mirrors(lua_State* L, int index, const Value& value) {
  // push_value_or_nil's null at the top is nil.
  if (value.is_null()) return lua_isnil(L, index);
  return unchanged_at(L, index, value, 0, Comparison{current_decimal_texts(L), true});
}

bool mirrors(lua_State* L, int index, const Object& object) {
  return object_at_unchanged(L, index, object, Comparison{current_decimal_texts(L), true});
}

Expected<Value> to_value(lua_State* L, int index, const std::string& where) {
  const Where root{&where, nullptr, {}, 0, false, nullptr};
  return convert(L, index, root, 0, current_decimal_texts(L));
}

Expected<Value> to_value(lua_State* L, int index, const std::function<std::string()>& where) {
  const Where root{nullptr, nullptr, {}, 0, false, &where};
  return convert(L, index, root, 0, current_decimal_texts(L));
}

Expected<Object> to_string_map(lua_State* L, int index, const std::string& where) {
  Object out;
  if (lua_isnil(L, index)) return out;
  if (!lua_istable(L, index)) return make_error(ErrorKind::flow, where + ": expected a table of strings");
  auto converted = to_value(L, index, where);
  if (!converted) return std::move(converted).error();
  if (!converted->is_object()) return make_error(ErrorKind::flow, where + ": expected a table with string keys");
  for (auto& [key, value] : converted->as_object()) {
    switch (value.type()) {
      case Value::Type::string: out.push_back(key, std::move(value)); break;
      case Value::Type::integer: out.push_back(key, Value(std::to_string(value.as_int()))); break;
      case Value::Type::boolean: out.push_back(key, Value(value.as_bool() ? "true" : "false")); break;
      default: return make_error(ErrorKind::flow, where + "." + key + ": expected a string");
    }
  }
  return out;
}

void push_ordered_table(lua_State* L) {
  lua_newtable(L);
  push_object_metatable(L, 4);
  lua_setmetatable(L, -2);
}

void push_array_table(lua_State* L) {
  lua_newtable(L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &array_metatable_key);
  lua_setmetatable(L, -2);
}

}  // namespace qiao::lua
