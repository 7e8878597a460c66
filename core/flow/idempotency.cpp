#include "core/flow/idempotency.hpp"

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"

namespace qiao {

namespace {

constexpr ConfigKey idempotency_keys[] = {
    {"key", KeyType::string, "", "Lua expression giving the message's business key, e.g. 'body.orderNo'", true},
    {"ttl", KeyType::duration, "24h", "how long a repeat of the key gets the first answer again"},
    {"wait", KeyType::duration, "30s",
     "how long a repeat waits for the first message still running on another node before it is told to retry"},
    {"lease", KeyType::duration, "5m", "after this long an unanswered first message counts as dead (a crash)"},
};

}  // namespace

std::optional<IdempotencySpec> parse_idempotency(const ConfigNode& block, FlowBuilder& builder) {
  Diagnostics& diag = builder.diagnostics();
  if (!block.is_map()) {
    diag.error(block.location(), "idempotency: expected a mapping with key and ttl");
    return std::nullopt;
  }
  const std::size_t errors_before = diag.errors().size();
  ConfigReader reader(block, idempotency_keys, diag, "idempotency");
  auto key = reader.node("key");
  if (!key) return std::nullopt;
  IdempotencySpec spec;
  spec.key = builder.lua(*key, LuaChunkKind::expression);
  spec.key_source = key->scalar();
  spec.ttl = reader.duration("ttl");
  spec.wait = reader.duration("wait");
  spec.lease = reader.duration("lease");
  for (const char* name : {"ttl", "lease"}) {
    if (reader.duration(name) <= std::chrono::milliseconds::zero())
      diag.error(reader.node(name) ? reader.node(name)->location() : block.location(),
                 std::string(name) + ": must be longer than 0");
  }
  if (diag.errors().size() != errors_before) return std::nullopt;
  return spec;
}

}  // namespace qiao
