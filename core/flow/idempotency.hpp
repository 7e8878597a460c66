#pragma once
// A flow's `idempotency:` block: which Lua expression names a message's business key (an order
// number, a payment's out_trade_no) and how long its first answer is given again.

#include <chrono>
#include <optional>
#include <string>

#include "core/config/config_node.hpp"
#include "core/lua/lua_program.hpp"

namespace qiao {

class FlowBuilder;

struct IdempotencySpec {
  LuaChunkId key;
  std::string key_source;  // the expression as written, for errors
  std::chrono::milliseconds ttl{std::chrono::hours(24)};
  // How long a repeat waits for a first message still running on another gateway node sharing
  // the store; on this node a repeat waits for the first however long it takes.
  std::chrono::milliseconds wait{std::chrono::seconds(30)};
  // An unanswered claim older than this belonged to a run that died (crash, kill -9): taken over.
  std::chrono::milliseconds lease{std::chrono::minutes(5)};
};

// Reports mistakes to the builder's diagnostics; none when the block is unusable.
std::optional<IdempotencySpec> parse_idempotency(const ConfigNode& block, FlowBuilder& builder);

}  // namespace qiao
