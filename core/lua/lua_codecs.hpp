#pragma once
// The codecs Lua code can name: qiao.codec.decode(name, …), and library functions that take a
// codec name because the codec holds what they need (iso8583.response("iso8583:cup", request)
// reads the dialect's spec). The worker owning a state installs its generation's lookup, a
// read-only map of the codecs the load built (core/lua/lua_codec_literals.hpp finds the names);
// tests may install their own.

#include <functional>
#include <memory>
#include <string_view>

#include "core/codec.hpp"
#include "core/error.hpp"

struct lua_State;

namespace qiao {

using CodecLookup = std::function<Expected<std::shared_ptr<const Codec>>(std::string_view name)>;

namespace lua {

// `lookup` must outlive the state (or be replaced first); nullptr removes it.
void set_codec_lookup(lua_State* L, const CodecLookup* lookup);
// ErrorKind::config when the name is unknown or its argument is bad, or when the state has no
// lookup (a bug in whoever made the state).
Expected<std::shared_ptr<const Codec>> find_codec(lua_State* L, std::string_view name);

}  // namespace lua
}  // namespace qiao
