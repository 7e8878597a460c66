#include "core/admin_replay.hpp"

#include <fmt/format.h>

#include "core/admin_support.hpp"
#include "core/delivery/delivery_service.hpp"
#include "core/delivery/request_bytes.hpp"
#include "core/delivery/stored_message.hpp"
#include "core/flow/accept.hpp"
#include "core/generation.hpp"
#include "core/json_text.hpp"
#include "core/store/store.hpp"

namespace qiao {

namespace {

using admin::error_response;
using admin::query_parameter;

struct Skipped {
  std::string id;
  std::string reason;
};

// Why a journaled message cannot be run again as it came; empty when it can.
std::string unreplayable(const JournalEntry& e, const Generation& generation) {
  if (e.flow_id.empty() || e.flow_id == "-") return "no flow took it";
  if (!generation.flow(e.flow_id)) return "flow '" + e.flow_id + "' is not loaded";
  if (!e.request) return "the journal kept no request bytes";
  if (e.request_truncated && e.request->empty())
    return "the journal kept none of its " + std::to_string(e.request_size) +
           " bytes (journal: metadata, or the disk was low on space)";
  if (e.request_truncated)
    return "the journal kept only the first " + std::to_string(e.request->size()) + " of its " +
           std::to_string(e.request_size) + " bytes";
  return {};
}

Delivery replay_delivery(const JournalEntry& e) {
  Message msg;
  msg.id = next_message_id();
  msg.trace_id = e.trace_id.empty() ? e.message_id : e.trace_id;
  msg.flow_id = e.flow_id;
  msg.source.push_back("kind", Value("replay"));
  msg.source.push_back("of", Value(e.message_id));
  msg.source.push_back("original", Value(e.source));
  msg.raw = e.request;
  Delivery d;
  d.endpoint = inbound_queue(e.flow_id);
  d.order_key = "replay";
  d.message_id = msg.id;
  d.flow_id = e.flow_id;
  d.request = encode_request(stored_message(msg, Value()));
  // An operator's replay runs once; a failure is a dead letter of flow:ID, with its error, to
  // replay again from there once the cause is fixed.
  d.retry.attempts = 1;
  d.created_at = std::chrono::system_clock::now();
  d.next_attempt_at = d.created_at;
  return d;
}

}  // namespace

boost::asio::awaitable<AdminResponse> replay_messages(const Store& store, DeliveryService& deliveries,
                                                      std::shared_ptr<const Generation> generation, std::string query) {
  JournalQuery q;
  bool any_filter = false;
  if (auto refused = admin::journal_filter(query, q, any_filter)) co_return *refused;
  if (!any_filter)
    co_return error_response(400, "bad_input", "replay needs a filter: id, flow, outcome, since, until or key.NAME");
  const auto dry = query_parameter(query, "dry_run");
  const bool dry_run = dry && (*dry == "1" || *dry == "true");
  if (!generation) co_return error_response(503, "unavailable", "no flows are loaded");

  auto found = store.search(q);
  if (!found) co_return error_response(500, "internal", found.error().message);
  std::vector<Delivery> queued;
  std::vector<std::string> replayed_of;
  std::vector<Skipped> skipped;
  // The journal answers newest first; the replays run in the order the messages first came.
  for (auto e = found->rbegin(); e != found->rend(); ++e) {
    if (std::string why = unreplayable(*e, *generation); !why.empty()) {
      skipped.push_back({e->message_id, std::move(why)});
      continue;
    }
    replayed_of.push_back(e->message_id);
    if (!dry_run) queued.push_back(replay_delivery(*e));
  }
  std::vector<std::string> new_ids;
  for (const Delivery& d : queued) new_ids.push_back(d.message_id);
  if (!queued.empty()) {
    Status stored = co_await deliveries.enqueue(std::move(queued));
    if (!stored) co_return error_response(503, "unavailable", stored.error().message);
  }

  std::string replayed = "[";
  for (std::size_t i = 0; i < replayed_of.size(); ++i) {
    replayed += fmt::format(R"({}{{"of":{},"id":{}}})", i ? "," : "", json_quote(replayed_of[i]),
                            dry_run ? std::string("null") : json_quote(new_ids[i]));
  }
  replayed += "]";
  std::string skipped_json = "[";
  for (std::size_t i = 0; i < skipped.size(); ++i) {
    skipped_json += fmt::format(R"({}{{"id":{},"reason":{}}})", i ? "," : "", json_quote(skipped[i].id),
                                json_quote(skipped[i].reason));
  }
  skipped_json += "]";
  co_return AdminResponse{200, "application/json",
                          fmt::format(R"({{"dryRun":{},"count":{},"replayed":{},"skipped":{}}})", dry_run,
                                      replayed_of.size(), replayed, skipped_json)};
}

}  // namespace qiao
