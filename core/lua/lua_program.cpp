#include "core/lua/lua_program.hpp"

#include <lua.hpp>
#include <memory>
#include <string_view>

#include "core/config/config_node.hpp"
#include "core/lua/lua_names.hpp"

namespace qiao {

namespace {

// `_ENV` is the message's own environment (see LuaWorker): a global a script sets belongs to its
// message, never to the worker's state that other messages share.
constexpr std::string_view block_header = "local _ENV, msg, body, vars = ...;";
constexpr std::string_view expression_header = "local _ENV, msg, body, vars = ...; return ";

// Lua reports "file:LINE: message"; we add the column of the code's start, since Lua keeps none.
std::string with_column(std::string message, const LuaChunk& chunk) {
  const std::string prefix = chunk.file + ":";
  if (message.rfind(prefix, 0) != 0)
    return chunk.file + ":" + std::to_string(chunk.line) + ":" + std::to_string(chunk.column) + ": lua: " + message;
  const std::size_t line_end = message.find(':', prefix.size());
  if (line_end == std::string::npos) return message;
  return message.substr(0, line_end) + ":" + std::to_string(chunk.column) + ": lua:" + message.substr(line_end + 1);
}

}  // namespace

std::string LuaChunk::compiled_text() const {
  std::string text(kind == LuaChunkKind::block ? block_header : expression_header);
  text.append(static_cast<std::size_t>(line > 1 ? line - 1 : 0), '\n');
  if (kind == LuaChunkKind::expression) {
    // The closing parenthesis goes on the code's own line (so errors name that line) unless a
    // trailing comment would swallow it.
    text += "(" + code + (code.find("--") == std::string::npos ? ")" : "\n)");
  } else {
    text += code;
  }
  return text;
}

LuaChunkId LuaProgram::add(const ConfigNode& node, LuaChunkKind kind, Diagnostics& diag) {
  LuaChunk chunk;
  chunk.kind = kind;
  chunk.file = node.file();
  const Location where = node.location();
  chunk.line = node.content_line() > 0 ? node.content_line() : 1;
  // Block scalars start at their own indentation; inline code starts where the node starts.
  chunk.column = chunk.line == where.line ? where.column : 1;
  chunk.code = node.raw_scalar();
  chunk.names_body = lua::code_names(chunk.code, "body");
  chunk.names_vars = lua::code_names(chunk.code, "vars");
  if (!node.is_scalar() || chunk.code.empty()) {
    diag.error(where, "expected Lua code");
  } else {
    std::unique_ptr<lua_State, decltype(&lua_close)> state(luaL_newstate(), &lua_close);
    const std::string text = chunk.compiled_text();
    const std::string name = chunk.chunk_name();
    if (luaL_loadbufferx(state.get(), text.data(), text.size(), name.c_str(), "t") != LUA_OK) {
      diag.error(with_column(lua_tostring(state.get(), -1), chunk));
    }
  }
  chunks_.push_back(std::move(chunk));
  return LuaChunkId{chunks_.size() - 1};
}

}  // namespace qiao
