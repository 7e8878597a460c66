#pragma once
// All the Lua code of one generation: every `lua:` block and `when:` expression of every flow,
// compiled once per worker. Chunks are compiled so Lua's own error messages carry the YAML
// file and line the code was written on.

#include <cstddef>
#include <string>
#include <vector>

#include "core/config/diagnostics.hpp"

namespace qiao {

class ConfigNode;

struct LuaChunkId {
  std::size_t index = 0;
};

enum class LuaChunkKind {
  block,       // statements; may `return` a value
  expression,  // one expression, e.g. a route's `when`
};

struct LuaChunk {
  LuaChunkKind kind;
  std::string file;
  int line = 1;
  int column = 1;
  std::string code;
  // Whether the code can see the `body` and `vars` locals (lua::code_names): when it cannot, they
  // are not pushed into Lua for it, and msg.body and msg.vars cross over on their first read.
  bool names_body = true;
  bool names_vars = true;
  // The text handed to Lua: a header binding `_ENV`, `msg`, `body` and `vars`, then blank lines so
  // the code sits on the line it has in the YAML file.
  std::string compiled_text() const;
  std::string chunk_name() const { return "@" + file; }
};

class LuaProgram {
 public:
  // Registers the Lua written at `node` and checks its syntax; a syntax error goes to `diag`
  // as file:line:col.
  LuaChunkId add(const ConfigNode& node, LuaChunkKind kind, Diagnostics& diag);
  const std::vector<LuaChunk>& chunks() const { return chunks_; }

 private:
  std::vector<LuaChunk> chunks_;
};

}  // namespace qiao
