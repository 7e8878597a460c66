#pragma once
// The admin API's replay of journaled messages:
//   POST /api/messages/replay?id=&flow=&outcome=&since=&until=&limit=&dry_run=1
// Each matching message's request bytes, as the journal kept them, become a new message (its own
// id; trace and source say what it replays) in its flow's inbound queue, so the delivery
// service runs it through the flow of the current generation: durably, once, and a dead letter
// of flow:ID when it fails. A message whose bytes the journal did not keep whole (cut to a size
// limit, or none) is skipped with the reason. Needs a filter, as dead-letter replay does.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "core/admin.hpp"

namespace qiao {

class DeliveryService;
class Generation;
class Store;

// Runs off the workers: the search reads the store on the calling thread.
boost::asio::awaitable<AdminResponse> replay_messages(const Store& store, DeliveryService& deliveries,
                                                      std::shared_ptr<const Generation> generation, std::string query);

}  // namespace qiao
