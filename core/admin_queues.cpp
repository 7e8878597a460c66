#include "core/admin_queues.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/admin_support.hpp"
#include "core/delivery/delivery_service.hpp"
#include "core/json_text.hpp"

namespace qiao {

namespace {

using admin::error_response;
using admin::iso_time;
using admin::query_parameter;

constexpr std::size_t max_listed = 1000;

bool parse_count(std::string_view text, std::int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out > 0;
}

// The filter of a dead-letter request, or the 400 that says what is wrong with it.
std::optional<AdminResponse> read_filter(std::string_view query, DeliveryQuery& q, bool& any_filter) {
  any_filter = false;
  if (auto v = query_parameter(query, "endpoint"); v && !v->empty()) {
    q.endpoint = *v;
    any_filter = true;
  }
  if (auto v = query_parameter(query, "error"); v && !v->empty()) {
    q.error_contains = *v;
    any_filter = true;
  }
  if (auto v = query_parameter(query, "id"); v && !v->empty()) {
    std::string_view rest = *v;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::int64_t id = 0;
      if (!parse_count(rest.substr(0, comma), id))
        return error_response(400, "bad_input", "id: expected ids such as 12,13");
      q.ids.push_back(id);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    any_filter = true;
  }
  for (const char* name : {"since", "until"}) {
    if (auto v = query_parameter(query, name); v && !v->empty()) {
      auto t = admin::parse_iso_time(*v);
      if (!t)
        return error_response(400, "bad_input", std::string(name) + ": expected a time such as 2026-12-04T06:00:00Z");
      (std::string_view(name) == "since" ? q.since : q.until) = *t;
      any_filter = true;
    }
  }
  q.limit = 0;
  if (auto v = query_parameter(query, "limit"); v && !v->empty()) {
    std::int64_t limit = 0;
    if (!parse_count(*v, limit) || limit > static_cast<std::int64_t>(max_listed))
      return error_response(400, "bad_input", "limit must be 1..1000");
    q.limit = static_cast<std::size_t>(limit);
  }
  return std::nullopt;
}

AdminResponse queues_json(const DeliveryService& deliveries) {
  const auto now = std::chrono::system_clock::now();
  std::string body = "{\"queues\":[";
  bool first = true;
  for (const EndpointQueueStats& s : deliveries.stats()) {
    const double oldest_age = s.queue.oldest ? std::chrono::duration<double>(now - *s.queue.oldest).count() : 0.0;
    body += fmt::format(
        R"({}{{"endpoint":{},"depth":{},"inFlight":{},"oldestAgeSeconds":{:.3f},"delivered":{},"retries":{},)"
        R"("deadLetters":{},"died":{},"interrupted":{}}})",
        first ? "" : ",", json_quote(s.queue.endpoint), s.queue.depth, s.queue.in_flight, oldest_age, s.delivered,
        s.retries, s.dead_letters, s.died, s.interrupted);
    first = false;
  }
  return AdminResponse{200, "application/json", body + "]}"};
}

AdminResponse dead_letters_json(const DeliveryService& deliveries, std::string_view query) {
  DeliveryQuery q;
  bool any_filter = false;
  if (auto bad = read_filter(query, q, any_filter)) return *bad;
  if (q.limit == 0) q.limit = 100;
  auto found = deliveries.dead_letters(q);
  if (!found) return error_response(500, "internal", found.error().message);
  std::string body = "{\"deadLetters\":[";
  bool first = true;
  for (const Delivery& d : *found) {
    body += (first ? "" : ",") + admin::delivery_json(d);
    first = false;
  }
  return AdminResponse{200, "application/json", body + "]}"};
}

AdminResponse dead_letter_action(DeliveryService& deliveries, std::string_view query, bool replay) {
  DeliveryQuery q;
  bool any_filter = false;
  if (auto bad = read_filter(query, q, any_filter)) return *bad;
  const auto all = query_parameter(query, "all");
  if (!any_filter && !(all && *all == "1")) {
    return error_response(400, "bad_input",
                          std::string(replay ? "replay" : "discard") +
                              " needs a filter (endpoint, id, error, since, until) or all=1 for every dead letter");
  }
  const auto dry = query_parameter(query, "dry_run");
  const bool dry_run = dry && (*dry == "1" || *dry == "true");
  auto done = replay ? deliveries.replay(q, dry_run) : deliveries.discard(q, dry_run);
  if (!done) return error_response(503, "unavailable", done.error().message);
  std::string ids = "[";
  for (std::size_t i = 0; i < done->ids.size(); ++i) ids += (i ? "," : "") + std::to_string(done->ids[i]);
  ids += "]";
  return AdminResponse{200, "application/json",
                       fmt::format(R"({{"dryRun":{},"count":{},"ids":{}}})", done->dry_run, done->ids.size(), ids)};
}

}  // namespace

AdminResponse queues_resource(DeliveryService& deliveries, std::string_view method, std::string_view path,
                              std::string_view query) {
  auto only = [&](std::string_view allowed) -> std::optional<AdminResponse> {
    if (method == allowed) return std::nullopt;
    return error_response(405, "method_not_allowed", "use " + std::string(allowed));
  };
  if (path == "/api/queues") {
    if (auto refused = only("GET")) return *refused;
    return queues_json(deliveries);
  }
  if (path == "/api/queues/dead") {
    if (auto refused = only("GET")) return *refused;
    return dead_letters_json(deliveries, query);
  }
  if (path == "/api/queues/dead/replay" || path == "/api/queues/dead/discard") {
    if (auto refused = only("POST")) return *refused;
    return dead_letter_action(deliveries, query, path.ends_with("/replay"));
  }
  return error_response(404, "not_found", "no admin resource at " + std::string(path));
}

}  // namespace qiao
