#pragma once
// How a flow answers its sender. A `reply` step and a flow's final `reply:` block share ReplySpec.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/lua/lua_program.hpp"
#include "core/value.hpp"

namespace qiao {

class ConfigNode;
class FlowBuilder;
class FlowRun;

struct Reply {
  int status = 200;  // in the source's protocol terms (HTTP status …)
  Value body;
  Object headers;
  std::shared_ptr<const Codec> codec;  // null: the flow's reply codec
};

struct ReplySpec {
  int status = 200;
  std::optional<LuaChunkId> lua;  // returns the body (and optionally headers)
  std::optional<Value> body;      // a literal body
  Object headers;
  std::shared_ptr<const Codec> codec;
};

// Parses `{ status, lua, body, headers, encode }`; errors go to the builder's diagnostics.
ReplySpec parse_reply_spec(const ConfigNode& node, FlowBuilder& builder);

// Evaluates a spec for one message: Lua body, or the literal body, or the message body.
boost::asio::awaitable<Expected<Reply>> make_reply(const ReplySpec& spec, FlowRun& run);

}  // namespace qiao
