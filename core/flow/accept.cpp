#include "core/flow/accept.hpp"

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"

namespace qiao {

namespace {

constexpr std::string_view inbound_prefix = "flow:";

constexpr ConfigKey accept_keys[] = {
    {"mode", KeyType::string, "reply", "reply: answer after the flow ran; stored: answer once the message is stored"},
    QueuedDelivery::order_by_key,
    QueuedDelivery::retry_key,
    {"max_in_flight", KeyType::integer, "8", "messages running from the queue at once (one at a time within a key)"},
};

}  // namespace

std::string inbound_queue(std::string_view flow_id) {
  std::string name(inbound_prefix);
  name += flow_id;
  return name;
}

std::string_view inbound_flow(std::string_view queue) {
  return queue.starts_with(inbound_prefix) ? queue.substr(inbound_prefix.size()) : std::string_view();
}

std::optional<AcceptStored> parse_accept(const ConfigNode& node, FlowBuilder& builder) {
  Diagnostics& diag = builder.diagnostics();
  auto mode_is = [&](const ConfigNode& mode) -> std::optional<bool> {
    const std::string text = mode.scalar();
    if (text == "stored") return true;
    if (text == "reply") return false;
    diag.error(mode.location(), "accept: expected reply or stored, not '" + text + "'");
    return std::nullopt;
  };
  if (node.is_scalar()) {
    if (mode_is(node).value_or(false)) return AcceptStored{};
    return std::nullopt;
  }
  if (!node.is_map()) {
    diag.error(node.location(), "accept: expected reply, stored or a mapping with mode: stored");
    return std::nullopt;
  }
  ConfigReader reader(node, accept_keys, diag, "accept");
  AcceptStored accept;
  accept.queue.parse(reader, builder);
  const auto max_in_flight = reader.integer("max_in_flight");
  if (max_in_flight < 1 || max_in_flight > 10'000)
    diag.error(reader.node("max_in_flight")->location(), "max_in_flight: expected 1..10000");
  else accept.max_in_flight = static_cast<int>(max_in_flight);
  auto mode = reader.node("mode");
  if (!mode || !mode_is(*mode).value_or(false)) {
    if (accept.queue.configured(reader) || reader.has("max_in_flight"))
      diag.error(node.location(), "accept: order_by, retry and max_in_flight need mode: stored");
    return std::nullopt;
  }
  return accept;
}

}  // namespace qiao
