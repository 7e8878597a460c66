#include "core/admin_messages.hpp"

#include <fmt/format.h>

#include "core/admin_support.hpp"
#include "core/flow/journal.hpp"
#include "core/json_text.hpp"
#include "core/store/store.hpp"

namespace qiao {

namespace {

using admin::error_response;
using admin::iso_time;

// A journal row as the search lists it; `more` goes inside its object, after the row's fields.
std::string message_json(const JournalEntry& e, const std::string& more = "") {
  std::string keys = "{";
  for (const JournalKey& key : e.keys)
    keys += (keys.size() > 1 ? "," : "") + json_quote(key.name) + ":" + json_quote(key.value);
  keys += '}';
  return fmt::format(
      R"({{"id":{},"trace":{},"flow":{},"receivedAt":{},"latencyUs":{},"outcome":{},"status":{},"source":{},"error":{},"request":{},"requestSize":{},"requestTruncated":{},"reply":{},"replySize":{},"replyTruncated":{},"keys":{}{}}})",
      json_quote(e.message_id), json_quote(e.trace_id), json_quote(e.flow_id), json_quote(iso_time(e.received_at)),
      e.latency_us, json_quote(e.outcome), e.status, json_quote(e.source), json_quote(e.error),
      json_quote(e.request ? std::string_view(*e.request) : std::string_view()), e.request_size, e.request_truncated,
      json_quote(e.reply), e.reply_size, e.reply_truncated, keys, more);
}

std::string steps_json(const std::vector<JournalStep>& steps) {
  std::string out = "[";
  for (const JournalStep& s : steps)
    out += fmt::format(R"({}{{"step":{},"line":{},"depth":{},"outcome":{},"detail":{},"startUs":{},"durationUs":{}}})",
                       out.size() > 1 ? "," : "", json_quote(s.step), s.line, s.depth, json_quote(s.outcome),
                       json_quote(s.detail), s.start_us, s.duration_us);
  return out + "]";
}

}  // namespace

AdminResponse message_list(const Store& store, std::string_view query) {
  JournalQuery q;
  bool any_filter = false;
  if (auto refused = admin::journal_filter(query, q, any_filter)) return *refused;
  auto found = store.search(q);
  if (!found) return error_response(500, "internal", found.error().message);
  std::string body = "{\"messages\":[";
  for (std::size_t i = 0; i < found->size(); ++i) body += (i ? "," : "") + message_json((*found)[i]);
  return AdminResponse{200, "application/json", body + "]}"};
}

AdminResponse message_detail(const Store& store, std::string_view message_id) {
  JournalQuery q;
  q.message_id = std::string(message_id);
  q.limit = 1;
  auto found = store.search(q);
  if (!found) return error_response(500, "internal", found.error().message);
  auto deliveries = store.message_deliveries(std::string(message_id));
  if (!deliveries) return error_response(500, "internal", deliveries.error().message);
  // A message whose row is gone (retention, journal: none) may still have deliveries queued.
  if (found->empty() && deliveries->empty())
    return error_response(404, "not_found", "no message " + std::string(message_id) + " in the journal or the queues");
  std::string listed = "[";
  for (const Delivery& d : *deliveries) listed += (listed.size() > 1 ? "," : "") + admin::delivery_json(d);
  listed += "]";
  if (found->empty())
    return AdminResponse{200, "application/json", fmt::format(R"({{"message":null,"deliveries":{}}})", listed)};
  const JournalEntry& e = found->front();
  return AdminResponse{
      200, "application/json",
      fmt::format(R"({{"message":{},"deliveries":{}}})", message_json(e, ",\"steps\":" + steps_json(e.steps)), listed)};
}

boost::asio::awaitable<AdminResponse> serve_messages(const Store& store, bool one, std::string message_id,
                                                     std::string query) {
  co_return one ? message_detail(store, message_id) : message_list(store, query);
}

}  // namespace qiao
