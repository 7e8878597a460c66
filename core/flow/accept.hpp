#pragma once
// `accept: stored` on a flow's source (Mirth's source queue): the sender is answered once its
// message is durably stored, and the flow runs from a queue of its own afterwards, with retries
// and dead letters like any queued delivery. The queue is named inbound_queue(flow id); the
// delivery service runs its entries through the flow of that id in the current generation.

#include <optional>
#include <string>
#include <string_view>

#include "core/config/config_node.hpp"
#include "core/steps/queued_delivery.hpp"

namespace qiao {

class FlowBuilder;

struct AcceptStored {
  QueuedDelivery queue;   // order_by and retry, as `send` reads them
  int max_in_flight = 8;  // messages of the flow running from its queue at once (across keys)
};

// The queue a flow's stored messages wait in: "flow:ID", shown with the endpoints' queues.
std::string inbound_queue(std::string_view flow_id);
// The flow id of an inbound queue's name; empty for an endpoint's queue.
std::string_view inbound_flow(std::string_view queue);

// `accept: reply` (the default: answer after the flow ran), `accept: stored`, or
// `accept: { mode: stored, order_by, retry, max_in_flight }`. None for reply; errors go to the
// builder's diagnostics.
std::optional<AcceptStored> parse_accept(const ConfigNode& node, FlowBuilder& builder);

}  // namespace qiao
