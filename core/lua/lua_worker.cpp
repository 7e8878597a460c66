#include "core/lua/lua_worker.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <lua.hpp>
#include <string_view>
#include <tuple>

#include "core/flow/flow_run.hpp"
#include "core/log.hpp"
#include "core/lua/lua_codecs.hpp"
#include "core/lua/lua_decimal.hpp"
#include "core/lua/lua_environment.hpp"
#include "core/lua/lua_library.hpp"
#include "core/lua/lua_value.hpp"

namespace qiao {

namespace {

// Registry keys and markers; their addresses are unique light userdata.
char call_token;
char reply_metatable_key;
char error_metatable_key;

struct SliceClock {
  std::chrono::steady_clock::time_point deadline;
  std::int64_t limit_ms = 0;
};

SliceClock*& slice_clock(lua_State* L) { return *static_cast<SliceClock**>(lua_getextraspace(L)); }

// A count hook: a script that loops without yielding is stopped rather than starving the worker.
void time_limit_hook(lua_State* L, lua_Debug*) {
  const SliceClock* clock = slice_clock(L);
  if (clock && std::chrono::steady_clock::now() > clock->deadline) {
    luaL_error(L, "Lua code ran for more than %d ms without yielding", static_cast<int>(clock->limit_ms));
  }
}

void push_error_object(lua_State* L, std::string_view code, std::string_view message) {
  lua_createtable(L, 0, 2);
  lua_pushlstring(L, code.data(), code.size());
  lua_setfield(L, -2, "code");
  lua_pushlstring(L, message.data(), message.size());
  lua_setfield(L, -2, "message");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &error_metatable_key);
  lua_setmetatable(L, -2);
}

[[noreturn]] void raise_error(lua_State* L, std::string_view code, std::string_view message) {
  push_error_object(L, code, message);
  lua_error(L);
  std::abort();  // lua_error does not return
}

int error_tostring(lua_State* L) {
  lua_getfield(L, 1, "code");
  lua_getfield(L, 1, "message");
  lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
  return 1;
}

// qiao.call(endpoint, body [, { headers = {…}, operation = "…" }]) → reply body, { status, headers }
int call_continuation(lua_State* L, int, lua_KContext) {
  if (!lua_toboolean(L, 1)) {
    lua_pushvalue(L, 2);
    return lua_error(L);
  }
  return lua_gettop(L) - 1;
}

int qiao_call(lua_State* L) {
  luaL_checkstring(L, 1);
  if (lua_gettop(L) > 3) lua_settop(L, 3);
  if (!lua_isyieldable(L)) {
    return luaL_error(L, "qiao.call cannot be used here (inside a metamethod or a C function such as table.sort)");
  }
  lua_pushlightuserdata(L, &call_token);
  lua_insert(L, 1);
  return lua_yieldk(L, lua_gettop(L), 0, call_continuation);
}

// qiao.reply([status,] body [, headers]) → a reply the engine sends when the code returns it
int qiao_reply(lua_State* L) {
  lua_Integer status = 200;
  int body_index = 1;
  if (lua_type(L, 1) == LUA_TNUMBER) {
    status = luaL_checkinteger(L, 1);
    body_index = 2;
  }
  lua_settop(L, body_index + 1);  // absent body and headers read as nil
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, status);
  lua_setfield(L, -2, "status");
  lua_pushvalue(L, body_index);
  lua_setfield(L, -2, "body");
  lua_pushvalue(L, body_index + 1);
  lua_setfield(L, -2, "headers");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &reply_metatable_key);
  lua_setmetatable(L, -2);
  return 1;
}

// qiao.fail(code, message): fails the message with an error kind, e.g. "check_failed" → 400.
int qiao_fail(lua_State* L) {
  const char* code = luaL_checkstring(L, 1);
  const char* message = luaL_optstring(L, 2, code);
  raise_error(L, code, message);
}

int qiao_array(lua_State* L) {
  lua::push_array_table(L);
  return 1;
}

int qiao_ordered(lua_State* L) {
  lua::push_ordered_table(L);
  return 1;
}

int qiao_now(lua_State* L) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  lua_pushinteger(L, ms);
  return 1;
}

std::string joined_arguments(lua_State* L, int first) {
  std::string text;
  for (int i = first; i <= lua_gettop(L); ++i) {
    std::size_t len = 0;
    const char* s = luaL_tolstring(L, i, &len);
    if (i > first) text += ' ';
    text.append(s, len);
    lua_pop(L, 1);
  }
  return text;
}

template <spdlog::level::level_enum level>
int qiao_log(lua_State* L) {
  log::system().log(level, "lua: {}", joined_arguments(L, 1));
  return 0;
}

int lua_print(lua_State* L) { return qiao_log<spdlog::level::info>(L); }

// Lua raises with longjmp, which skips C++ destructors: these do their work with every C++ object
// in a scope that ends before the caller raises, leaving the result, or the error object, on the
// Lua stack. Raising with an Error or a codec still alive would leak its message and the codec.
bool decode_onto_stack(lua_State* L, const char* name, std::string_view text) {
  auto codec = lua::find_codec(L, name);
  if (!codec) {
    push_error_object(L, "config", codec.error().message);
    return false;
  }
  auto value = (*codec)->decode(make_buffer(std::string(text)));
  if (!value) {
    push_error_object(L, error_kind_name(value.error().kind), value.error().message);
    return false;
  }
  lua::push_lazy_value_or_nil(L, std::move(*value));
  return true;
}

bool encode_onto_stack(lua_State* L, const char* name, int value_index) {
  auto codec = lua::find_codec(L, name);
  if (!codec) {
    push_error_object(L, "config", codec.error().message);
    return false;
  }
  auto value = lua::to_value(L, value_index, "value");
  if (!value) {
    push_error_object(L, error_kind_name(value.error().kind), value.error().message);
    return false;
  }
  auto text = (*codec)->encode(*value);
  if (!text) {
    push_error_object(L, error_kind_name(text.error().kind), text.error().message);
    return false;
  }
  lua_pushlstring(L, text->data(), text->size());
  return true;
}

// qiao.codec.decode(name, text) → value
int qiao_codec_decode(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  std::size_t len = 0;
  const char* text = luaL_checklstring(L, 2, &len);
  if (!decode_onto_stack(L, name, std::string_view(text, len))) return lua_error(L);
  return 1;
}

// qiao.codec.encode(name, value) → text
int qiao_codec_encode(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  if (!encode_onto_stack(L, name, 2)) return lua_error(L);
  return 1;
}

int qiao_json_decode(lua_State* L) {
  lua_pushliteral(L, "json");
  lua_insert(L, 1);
  return qiao_codec_decode(L);
}

int qiao_json_encode(lua_State* L) {
  lua_pushliteral(L, "json");
  lua_insert(L, 1);
  return qiao_codec_encode(L);
}

void open_sandboxed_libraries(lua_State* L) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
  lua_pop(L, 7);

  // Flows must not touch files or processes, nor load bytecode that could crash the gateway.
  for (const char* name : {"dofile", "loadfile", "load", "require"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_getglobal(L, "os");
  for (const char* name : {"execute", "exit", "remove", "rename", "tmpname", "getenv", "setlocale"}) {
    lua_pushnil(L);
    lua_setfield(L, -2, name);
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, lua_print);
  lua_setglobal(L, "print");
}

void open_qiao_module(lua_State* L) {
  const luaL_Reg functions[] = {
      {"call", qiao_call},       {"reply", qiao_reply}, {"fail", qiao_fail},           {"array", qiao_array},
      {"ordered", qiao_ordered}, {"now", qiao_now},     {"decimal", lua::new_decimal}, {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  lua_pushlightuserdata(L, nullptr);
  lua_setfield(L, -2, "null");

  const luaL_Reg log_functions[] = {
      {"info", qiao_log<spdlog::level::info>},
      {"warn", qiao_log<spdlog::level::warn>},
      {"error", qiao_log<spdlog::level::err>},
      {nullptr, nullptr},
  };
  luaL_newlib(L, log_functions);
  lua_setfield(L, -2, "log");

  const luaL_Reg codec_functions[] = {{"decode", qiao_codec_decode}, {"encode", qiao_codec_encode}, {nullptr, nullptr}};
  luaL_newlib(L, codec_functions);
  lua_setfield(L, -2, "codec");

  const luaL_Reg json_functions[] = {{"decode", qiao_json_decode}, {"encode", qiao_json_encode}, {nullptr, nullptr}};
  luaL_newlib(L, json_functions);
  lua_setfield(L, -2, "json");

  lua_setglobal(L, "qiao");

  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "qiao.reply");
  lua_setfield(L, -2, "__name");
  lua::protect_shared_metatable(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &reply_metatable_key);

  lua_createtable(L, 0, 2);
  lua_pushliteral(L, "qiao.error");
  lua_setfield(L, -2, "__name");
  lua_pushcfunction(L, error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua::protect_shared_metatable(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &error_metatable_key);
}

bool has_metatable(lua_State* L, int index, const void* key) {
  if (!lua_getmetatable(L, index)) return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  const bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

ErrorKind error_kind_from_name(std::string_view name) {
  for (ErrorKind kind :
       {ErrorKind::bad_input, ErrorKind::check_failed, ErrorKind::not_found, ErrorKind::method_not_allowed,
        ErrorKind::too_large, ErrorKind::timeout, ErrorKind::unavailable, ErrorKind::upstream, ErrorKind::flow,
        ErrorKind::rejected, ErrorKind::config, ErrorKind::internal}) {
    if (error_kind_name(kind) == name) return kind;
  }
  return ErrorKind::flow;
}

// The error a failed coroutine left on its stack, as an Error.
Error error_from_stack(lua_State* co) {
  if (lua_istable(co, -1)) {
    lua_getfield(co, -1, "code");
    lua_getfield(co, -2, "message");
    const char* code = lua_tostring(co, -2);
    const char* message = lua_tostring(co, -1);
    Error error{code ? error_kind_from_name(code) : ErrorKind::flow, message ? message : "error"};
    lua_pop(co, 2);
    return error;
  }
  const char* text = lua_tostring(co, -1);
  return Error{ErrorKind::flow, text ? text : std::string("Lua error (a ") + luaL_typename(co, -1) + ")"};
}

Expected<Reply> reply_from_table(lua_State* co, int index) {
  Reply reply;
  lua_getfield(co, index, "status");
  reply.status = static_cast<int>(lua_tointeger(co, -1));
  lua_pop(co, 1);
  lua_getfield(co, index, "body");
  auto body = lua::to_value(co, -1, "reply body");
  lua_pop(co, 1);
  if (!body) return std::move(body).error();
  reply.body = std::move(*body);
  lua_getfield(co, index, "headers");
  auto headers = lua::to_string_map(co, -1, "reply headers");
  lua_pop(co, 1);
  if (!headers) return std::move(headers).error();
  reply.headers = std::move(*headers);
  return reply;
}

// Where a message table's metatable keeps its message, until the message is done.
char message_pointer_key;
// Whether the table's body (vars) field stands for the message's, in the metatable: set when the
// run starts with it there, or a script reads or assigns it. A field that is nil and not seen was
// never in Lua, and the run leaves the message's body (vars) as it was.
char body_seen_key;
char vars_seen_key;
// The worker's LuaConversions, in the registry, for the pushes a first read makes.
char conversions_key;

void set_seen(lua_State* L, int table, const void* key, bool seen) {
  if (!lua_getmetatable(L, table)) return;
  lua_pushboolean(L, seen);
  lua_rawsetp(L, -2, key);
  lua_pop(L, 1);
}

bool is_seen(lua_State* L, int table, const void* key) {
  if (!lua_getmetatable(L, table)) return false;
  lua_rawgetp(L, -1, key);
  const bool seen = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return seen;
}

void count_push(lua_State* L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &conversions_key);
  if (auto* conversions = static_cast<LuaConversions*>(lua_touserdata(L, -1))) ++conversions->pushed;
  lua_pop(L, 1);
}

const Message* message_of_table(lua_State* L, int table) {
  if (!lua_getmetatable(L, table)) return nullptr;
  lua_rawgetp(L, -1, &message_pointer_key);
  const auto* msg = static_cast<const Message*>(lua_touserdata(L, -1));
  lua_pop(L, 2);
  return msg;
}

// Pushes the message part `name` (body, vars, headers, source, raw) and stores it in the table
// at `table` for the next read; false, pushing nothing, for a name that is none of them or a part
// absent.
bool materialize_message_part(lua_State* L, int table, std::string_view name) {
  const Message* msg = message_of_table(L, table);
  if (!msg) return false;
  if (name == "body") {
    lua::push_lazy_value_or_nil(L, msg->body);
    if (!msg->body.is_null()) count_push(L);  // nil converts nothing, and is read again next time
    set_seen(L, table, &body_seen_key, true);
  } else if (name == "vars") {
    lua::push_lazy_value(L, Value(msg->vars));
    count_push(L);
    set_seen(L, table, &vars_seen_key, true);
  } else if (name == "headers") {
    lua::push_lazy_value(L, Value(msg->headers));
  } else if (name == "source") {
    lua::push_lazy_value(L, Value(msg->source));
  } else if (name == "raw" && msg->raw) {
    lua_pushlstring(L, msg->raw->data(), msg->raw->size());
  } else {
    return false;
  }
  lua_pushlstring(L, name.data(), name.size());
  lua_pushvalue(L, -2);
  lua_rawset(L, table);
  return true;
}

// __index of a message table: its headers, source and raw bytes, and the body and vars when the
// code could not name them, cross into Lua on the first read, so a script that never reads
// msg.raw does not copy the received bytes.
int message_index(lua_State* L) {
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  std::size_t len = 0;
  const char* name = lua_tolstring(L, 2, &len);
  return materialize_message_part(L, 1, std::string_view(name, len)) ? 1 : 0;
}

// __newindex of a message table: assigning msg.body (msg.vars) that was never read still counts,
// nil included.
int message_newindex(lua_State* L) {
  lua_settop(L, 3);
  if (lua_type(L, 2) == LUA_TSTRING) {
    std::size_t len = 0;
    const std::string_view name(lua_tolstring(L, 2, &len), len);
    if (name == "body") set_seen(L, 1, &body_seen_key, true);
    else if (name == "vars") set_seen(L, 1, &vars_seen_key, true);
  }
  lua_rawset(L, 1);
  return 0;
}

int message_next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

// __pairs of a message table: every part, also the ones not read yet.
int message_pairs(lua_State* L) {
  for (std::string_view name : {"body", "vars", "headers", "source", "raw"}) {
    lua_pushlstring(L, name.data(), name.size());
    if (lua_rawget(L, 1) == LUA_TNIL && materialize_message_part(L, 1, name)) lua_pop(L, 1);
    lua_pop(L, 1);
  }
  lua_pushcfunction(L, message_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// The parts of a message that steps do not change; body and vars are set before a run.
void push_message_table(lua_State* co, const Message& msg) {
  lua_createtable(co, 0, 8);
  lua_pushlstring(co, msg.id.data(), msg.id.size());
  lua_setfield(co, -2, "id");
  lua_pushlstring(co, msg.trace_id.data(), msg.trace_id.size());
  lua_setfield(co, -2, "trace_id");
  lua_pushlstring(co, msg.flow_id.data(), msg.flow_id.size());
  lua_setfield(co, -2, "flow");
  lua_createtable(co, 0, 6);
  lua_pushlightuserdata(co, const_cast<Message*>(&msg));
  lua_rawsetp(co, -2, &message_pointer_key);
  lua_pushcfunction(co, message_index);
  lua_setfield(co, -2, "__index");
  lua_pushcfunction(co, message_newindex);
  lua_setfield(co, -2, "__newindex");
  lua_pushcfunction(co, message_pairs);
  lua_setfield(co, -2, "__pairs");
  lua_setmetatable(co, -2);
}

void push_part(lua_State* L, const Value& body) { lua::push_lazy_value_or_nil(L, body); }
void push_part(lua_State* L, const Object& vars) { lua::push_lazy_value(L, Value(vars)); }

// Readies the message table's `name` field (body or vars) for a run of code that can name it or
// not. Code that can name it finds it there, pushed again only when a step since the last run
// changed it (a call's answer in vars, a codec's output): comparing costs no allocation, a push
// one per table and string. For other code a stale copy is dropped and the part waits for its
// first read.
template <class Part>
void prepare_part(lua_State* co, int table, const char* name, const void* seen_key, bool named, bool first_run,
                  const Part& part, LuaConversions& conversions) {
  lua_pushstring(co, name);
  lua_rawget(co, table);
  const bool present = !lua_isnil(co, -1);
  const bool current = !first_run && lua::mirrors(co, -1, part);
  lua_pop(co, 1);
  if (named && !current) {
    lua_pushstring(co, name);
    push_part(co, part);
    lua_rawset(co, table);
    ++conversions.pushed;
  } else if (!named && present && !current) {
    lua_pushstring(co, name);
    lua_pushnil(co);
    lua_rawset(co, table);
  }
  set_seen(co, table, seen_key, named || (present && current));
}

// Conversions use the decimal texts of the message whose code runs; other messages run while
// this one waits for a call, so they are chosen again after every wait and let go at the end.
struct DecimalTextsInUse {
  lua_State* state;
  lua::DecimalTexts* texts;
  DecimalTextsInUse(lua_State* L, lua::DecimalTexts* t) : state(L), texts(t) { choose(); }
  ~DecimalTextsInUse() { lua::use_decimal_texts(state, nullptr); }
  void choose() const { lua::use_decimal_texts(state, texts); }
};

}  // namespace

// A coroutine for one run: an idle one of the worker's, or a new one; given back reset when the
// run ends however it ends (lua_resetthread closes a suspended or failed coroutine as well), so no
// run sees what another left on its stack.
struct ThreadLease {
  static constexpr std::size_t max_idle = 64;
  LuaWorker& worker;
  lua_State* thread = nullptr;
  int ref = LUA_NOREF;

  explicit ThreadLease(LuaWorker& w) : worker(w) {
    if (!worker.idle_threads_.empty()) {
      std::tie(thread, ref) = worker.idle_threads_.back();
      worker.idle_threads_.pop_back();
      return;
    }
    thread = lua_newthread(worker.state_);
    ref = luaL_ref(worker.state_, LUA_REGISTRYINDEX);
  }
  ThreadLease(const ThreadLease&) = delete;
  ThreadLease& operator=(const ThreadLease&) = delete;
  ~ThreadLease() {
    if (lua_resetthread(thread) == LUA_OK && worker.idle_threads_.size() < max_idle) {
      worker.idle_threads_.emplace_back(thread, ref);
    } else {
      luaL_unref(worker.state_, LUA_REGISTRYINDEX, ref);
    }
  }
};

LuaMessageTable::~LuaMessageTable() {
  if (state_) {
    // The table may outlive the message until the collector runs: it must not reach it then.
    lua_rawgeti(state_, LUA_REGISTRYINDEX, ref_);
    if (lua_getmetatable(state_, -1)) {
      lua_pushnil(state_);
      lua_rawsetp(state_, -2, &message_pointer_key);
      lua_pop(state_, 1);
    }
    lua_pop(state_, 1);
    luaL_unref(state_, LUA_REGISTRYINDEX, ref_);
    luaL_unref(state_, LUA_REGISTRYINDEX, environment_ref_);
  }
}

void* LuaWorker::allocate(void* ud, void* ptr, std::size_t old_size, std::size_t new_size) {
  auto* alloc = static_cast<Allocator*>(ud);
  if (ptr == nullptr) old_size = 0;  // then old_size encodes the object type, not a size
  if (new_size == 0) {
    std::free(ptr);
    alloc->used -= old_size;
    return nullptr;
  }
  if (new_size > old_size && alloc->used + (new_size - old_size) > alloc->limit) return nullptr;
  void* grown = std::realloc(ptr, new_size);
  if (grown) alloc->used = alloc->used - old_size + new_size;
  return grown;
}

LuaWorker::LuaWorker(const LuaProgram& program, LuaLimits limits, CodecLookup codecs,
                     const std::vector<const LuaLibrary*>& libraries)
    : program_(program), limits_(limits), codecs_(std::move(codecs)) {
  allocator_.limit = limits_.memory_bytes;
  state_ = lua_newstate(&LuaWorker::allocate, &allocator_);
  lua_State* L = state_;
  open_sandboxed_libraries(L);
  lua::install_value_support(L);
  open_qiao_module(L);
  for (const LuaLibrary* library : libraries) {
    library->open(L);
    lua_setglobal(L, std::string(library->name()).c_str());
  }
  lua::set_codec_lookup(L, &codecs_);
  lua_pushlightuserdata(L, &conversions_);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &conversions_key);
  lua::seal_globals(L);

  slice_clock(L) = new SliceClock{{}, limits_.time_slice.count()};
  lua_sethook(L, time_limit_hook, LUA_MASKCOUNT, 10'000);

  chunk_refs_.reserve(program.chunks().size());
  for (const LuaChunk& chunk : program.chunks()) {
    const std::string text = chunk.compiled_text();
    const std::string name = chunk.chunk_name();
    if (luaL_loadbufferx(L, text.data(), text.size(), name.c_str(), "t") != LUA_OK) {
      // The program was syntax-checked when the generation was built, so this is a bug.
      log::system().error("lua: chunk {} failed to compile on a worker: {}", name, lua_tostring(L, -1));
      lua_pop(L, 1);
      lua_pushnil(L);
    }
    chunk_refs_.push_back(luaL_ref(L, LUA_REGISTRYINDEX));
  }
}

LuaWorker::~LuaWorker() {
  delete slice_clock(state_);
  lua_close(state_);
}

boost::asio::awaitable<Expected<LuaOutcome>> LuaWorker::run(LuaChunkId chunk_id, FlowRun& run) {
  const LuaChunk& chunk = program_.chunks().at(chunk_id.index);
  lua_State* L = state_;
  const ThreadLease lease(*this);
  lua_State* co = lease.thread;

  lua_rawgeti(co, LUA_REGISTRYINDEX, chunk_refs_[chunk_id.index]);
  if (!lua_isfunction(co, -1)) co_return make_error(ErrorKind::internal, chunk.file + ": Lua chunk is not compiled");
  LuaMessageTable& message = run.lua_message;
  const DecimalTextsInUse decimal_texts{L, &message.decimal_texts_};
  const bool first_run = message.state_ != L;
  if (first_run) {
    push_message_table(co, run.msg);
    message.state_ = L;
    message.ref_ = luaL_ref(co, LUA_REGISTRYINDEX);
    lua::push_message_environment(co);
    message.environment_ref_ = luaL_ref(co, LUA_REGISTRYINDEX);
  }
  lua_rawgeti(co, LUA_REGISTRYINDEX, message.environment_ref_);
  lua_rawgeti(co, LUA_REGISTRYINDEX, message.ref_);
  const int table = lua_gettop(co);
  prepare_part(co, table, "body", &body_seen_key, chunk.names_body, first_run, run.msg.body, conversions_);
  prepare_part(co, table, "vars", &vars_seen_key, chunk.names_vars, first_run, run.msg.vars, conversions_);
  lua_pushliteral(co, "body");
  lua_rawget(co, table);
  lua_pushliteral(co, "vars");
  lua_rawget(co, table);
  // A lazy table pushed for the body (vars) now, or found to mirror it, stands for what the
  // message has; if the run ends with the same one untouched, nothing changed, without comparing.
  const Value* body_at_start = lua::untouched_value(co, -2);
  const Value* vars_at_start = lua::untouched_value(co, -1);

  SliceClock* clock = slice_clock(L);
  int nargs = 4;  // _ENV, msg, body, vars
  for (;;) {
    clock->deadline = std::chrono::steady_clock::now() + limits_.time_slice;
    int nresults = 0;
    const int status = lua_resume(co, nullptr, nargs, &nresults);

    if (status == LUA_YIELD) {
      if (nresults < 2 || lua_touserdata(co, -nresults) != &call_token) {
        co_return make_error(ErrorKind::flow,
                             chunk.file + ":" + std::to_string(chunk.line) + ": Lua code yielded outside qiao.call");
      }
      const int base = lua_gettop(co) - nresults + 1;
      std::string endpoint = lua_tostring(co, base + 1);
      CallRequest request;
      Expected<Value> body = nresults >= 3 ? lua::to_value(co, base + 2, "qiao.call body") : Expected<Value>(Value());
      if (nresults >= 4 && lua_istable(co, base + 3)) {
        lua_getfield(co, base + 3, "headers");
        auto headers = lua::to_string_map(co, -1, "qiao.call headers");
        lua_pop(co, 1);
        if (headers) request.headers = std::move(*headers);
        else body = std::move(headers).error();
        lua_getfield(co, base + 3, "operation");
        if (lua_isstring(co, -1)) request.operation = lua_tostring(co, -1);
        lua_pop(co, 1);
      }
      lua_settop(co, base - 1);
      if (!body) {
        lua_pushboolean(co, 0);
        push_error_object(co, error_kind_name(body.error().kind), body.error().message);
        nargs = 2;
        continue;
      }
      request.body = std::move(*body);
      auto response = co_await run.call(endpoint, std::move(request));
      decimal_texts.choose();
      if (response) {
        lua_pushboolean(co, 1);
        lua::push_lazy_value_or_nil(co, std::move(response->body));
        lua_createtable(co, 0, 2);
        lua_pushinteger(co, response->status);
        lua_setfield(co, -2, "status");
        lua::push_lazy_value(co, Value(std::move(response->headers)));
        lua_setfield(co, -2, "headers");
        nargs = 3;
      } else {
        lua_pushboolean(co, 0);
        push_error_object(co, error_kind_name(response.error().kind), response.error().message);
        if (const auto& detail = response.error().detail) {
          for (const auto& [name, value] : *detail) {
            lua::push_value_or_nil(co, value);
            lua_setfield(co, -2, name.c_str());
          }
        }
        nargs = 2;
      }
      continue;
    }

    if (status != LUA_OK) {
      Error error = error_from_stack(co);
      if (error.kind == ErrorKind::flow) {
        luaL_traceback(L, co, error.message.c_str(), 0);
        log::system().warn("flow {} message {}: {}", run.msg.flow_id, run.msg.id, lua_tostring(L, -1));
        lua_pop(L, 1);
      }
      co_return error;
    }

    LuaOutcome outcome;
    const int first = lua_gettop(co) - nresults + 1;
    outcome.truthy = nresults > 0 && lua_toboolean(co, first);
    if (chunk.kind == LuaChunkKind::expression) {
      // Its value, beside its truth: a `send`'s order_by is a key, not a condition.
      if (nresults > 0) {
        auto value = lua::to_value(co, first, "the expression's value");
        if (!value) co_return std::move(value).error();
        outcome.values.push_back(std::move(*value));
      }
      co_return outcome;
    }

    for (int i = 0; i < nresults; ++i) {
      if (i == 0 && has_metatable(co, first, &reply_metatable_key)) {
        auto reply = reply_from_table(co, first);
        if (!reply) co_return std::move(reply).error();
        outcome.reply = std::move(*reply);
        continue;
      }
      auto value = lua::to_value(co, first + i, "returned value");
      if (!value) co_return std::move(value).error();
      outcome.values.push_back(std::move(*value));
    }
    lua_settop(co, 0);

    // Scripts change msg.body and msg.vars in place (or replace them); take the result back,
    // unless it is what went in: a script that only read the body leaves it as it came, with no
    // conversion (lua::unchanged compares without allocating).
    lua_rawgeti(co, LUA_REGISTRYINDEX, message.ref_);
    const int table_after = lua_gettop(co);
    lua_pushliteral(co, "body");
    lua_rawget(co, table_after);
    const bool body_in_lua = !lua_isnil(co, -1) || is_seen(co, table_after, &body_seen_key);
    const bool body_kept = body_at_start && lua::untouched_value(co, -1) == body_at_start;
    if (body_in_lua && !body_kept && !lua::unchanged(co, -1, run.msg.body)) {
      auto new_body = lua::to_value(co, -1, "msg.body");
      ++conversions_.pulled;
      if (!new_body) co_return std::move(new_body).error();
      if (message.decimal_texts_.has_ambiguous()) lua::keep_decimal_texts(*new_body, run.msg.body);
      run.msg.body = std::move(*new_body);
    }
    lua_pushliteral(co, "vars");
    lua_rawget(co, table_after);
    const bool vars_in_lua = !lua_isnil(co, -1) || is_seen(co, table_after, &vars_seen_key);
    const bool vars_kept = vars_at_start && lua::untouched_value(co, -1) == vars_at_start;
    if (vars_in_lua && !vars_kept && !lua::unchanged(co, -1, run.msg.vars)) {
      auto new_vars = lua::to_value(co, -1, "msg.vars");
      ++conversions_.pulled;
      if (!new_vars) co_return std::move(new_vars).error();
      if (message.decimal_texts_.has_ambiguous()) lua::keep_decimal_texts(*new_vars, Value(run.msg.vars));
      if (new_vars->is_object()) {
        run.msg.vars = std::move(new_vars->as_object());
      } else if (new_vars->is_null()) {
        run.msg.vars = Object();
      } else {
        co_return make_error(ErrorKind::flow, "msg.vars must be a table");
      }
    }
    lua_settop(co, 0);
    co_return outcome;
  }
}

}  // namespace qiao
