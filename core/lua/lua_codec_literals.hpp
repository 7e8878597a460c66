#pragma once
// Finds the codec names a chunk of Lua writes as literal strings — the first argument of
// qiao.codec.decode("iso8583:cup", …), or of a library function that takes a codec name — so
// the generation builds those codecs at load and reports a bad one at its file:line:col, and a
// worker never builds one at run time. Comments and other strings are skipped as Lua lexes them.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/lua/lua_program.hpp"

namespace qiao {

struct LuaCodecLiteral {
  std::string name;
  int line = 0;  // in the chunk's file
  int column = 0;
};

// `callees` are dotted names such as "qiao.codec.decode" or "iso8583.response".
std::vector<LuaCodecLiteral> find_codec_literals(const LuaChunk& chunk, std::span<const std::string> callees);

}  // namespace qiao
