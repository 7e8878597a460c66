#include "core/admin.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>

#include "core/json_text.hpp"
#include "core/metrics.hpp"
#include "core/runtime.hpp"
#include "core/store/store.hpp"

namespace qiao {

namespace {

std::string iso_time(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(t));
}

std::string json_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json_quote(items[i]);
  return out + "]";
}

std::string reload_json(const ReloadReport& r) {
  return fmt::format(R"({{"ok":{},"generation":{},"at":{},"trigger":{},"errors":{}}})", r.ok, r.generation,
                     json_quote(iso_time(r.at)), json_quote(r.trigger), json_strings(r.errors));
}

AdminResponse error_response(int status, std::string_view code, std::string_view message) {
  return AdminResponse{status, "application/json",
                       fmt::format(R"({{"error":{{"code":{},"message":{}}}}})", json_quote(code), json_quote(message))};
}

std::string query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) return std::string(pair.substr(eq + 1));
  }
  return {};
}

}  // namespace

boost::asio::awaitable<AdminResponse> AdminApi::handle(AdminRequest request) {
  const auto question = request.target.find('?');
  const std::string path = request.target.substr(0, question);
  const std::string_view query =
      question == std::string::npos ? std::string_view() : std::string_view(request.target).substr(question + 1);

  if (path == "/healthz") {
    auto gen = runtime_.generation();
    co_return AdminResponse{200, "application/json",
                            fmt::format(R"({{"status":"ok","node":{},"generation":{}}})", json_quote(runtime_.config().node_name),
                                        gen ? gen->number() : 0)};
  }
  const std::string& token = runtime_.config().admin_token;
  if (!token.empty() && request.authorization != "Bearer " + token) {
    co_return error_response(401, "unauthorized", "the admin API needs 'Authorization: Bearer <admin.token>'");
  }
  if (path == "/metrics") {
    if (request.method != "GET") co_return error_response(405, "method_not_allowed", "use GET");
    auto gen = runtime_.generation();
    co_return AdminResponse{200, "text/plain; version=0.0.4", runtime_.metrics().render(gen ? gen->number() : 0)};
  }
  if (path == "/api/flows") {
    if (request.method != "GET") co_return error_response(405, "method_not_allowed", "use GET");
    co_return flows();
  }
  if (path == "/api/reload") {
    if (request.method != "POST") co_return error_response(405, "method_not_allowed", "use POST");
    // Building a generation reads files: do it on the control thread, never on a worker.
    Runtime& runtime = runtime_;
    ReloadReport report = co_await boost::asio::co_spawn(
        runtime.control_context(), [&runtime]() -> boost::asio::awaitable<ReloadReport> { co_return runtime.reload("admin api"); },
        boost::asio::use_awaitable);
    co_return AdminResponse{report.ok ? 200 : 422, "application/json", reload_json(report)};
  }
  if (path == "/api/messages") {
    if (request.method != "GET") co_return error_response(405, "method_not_allowed", "use GET");
    co_return messages(query);
  }
  co_return error_response(404, "not_found", "no admin resource at " + path);
}

AdminResponse AdminApi::flows() const {
  auto gen = runtime_.generation();
  std::string body = fmt::format(R"({{"generation":{},"loadedAt":{},"lastReload":{},"flows":[)", gen ? gen->number() : 0,
                                 json_quote(gen ? iso_time(gen->loaded_at()) : ""), reload_json(runtime_.last_reload()));
  if (gen) {
    bool first = true;
    for (const auto& flow : gen->flows()) {
      const FlowStats* stats = flow->stats;
      body += fmt::format(
          R"({}{{"id":{},"description":{},"file":{},"source":{},"decode":{},"generation":{},)"
          R"("counts":{{"total":{},"ok":{},"errors":{},"inFlight":{}}},"lastError":{}}})",
          first ? "" : ",", json_quote(flow->id), json_quote(flow->description), json_quote(flow->location.str()),
          json_quote(flow->source->describe()), json_quote(flow->decode_name), gen->number(), stats ? stats->total() : 0,
          stats ? stats->count(nullptr) : 0, stats ? stats->errors() : 0, stats ? stats->in_flight.load() : 0,
          json_quote(stats ? stats->last_error() : ""));
      first = false;
    }
  }
  body += "],\"listeners\":[";
  bool first_listener = true;
  for (const auto& [key, address] : runtime_.listener_addresses()) {
    body += fmt::format(R"({}{{"key":{},"address":{}}})", first_listener ? "" : ",", json_quote(key), json_quote(address));
    first_listener = false;
  }
  body += "]}";
  return AdminResponse{200, "application/json", body};
}

AdminResponse AdminApi::messages(std::string_view query) const {
  if (!store_) return error_response(503, "unavailable", "no store is configured");
  JournalQuery q;
  if (auto v = query_parameter(query, "flow"); !v.empty()) q.flow_id = v;
  if (auto v = query_parameter(query, "outcome"); !v.empty()) q.outcome = v;
  if (auto v = query_parameter(query, "id"); !v.empty()) q.message_id = v;
  if (auto v = query_parameter(query, "limit"); !v.empty()) {
    std::size_t limit = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
    if (ec != std::errc() || end != v.data() + v.size() || limit == 0 || limit > 1000) {
      return error_response(400, "bad_input", "limit must be 1..1000");
    }
    q.limit = limit;
  }
  auto found = store_->search(q);
  if (!found) return error_response(500, "internal", found.error().message);
  std::string body = "{\"messages\":[";
  bool first = true;
  for (const auto& e : *found) {
    body += fmt::format(
        R"({}{{"id":{},"trace":{},"flow":{},"receivedAt":{},"latencyUs":{},"outcome":{},"status":{},"source":{},"error":{},"request":{},"reply":{}}})",
        first ? "" : ",", json_quote(e.message_id), json_quote(e.trace_id), json_quote(e.flow_id),
        json_quote(iso_time(e.received_at)), e.latency_us, json_quote(e.outcome), e.status, json_quote(e.source),
        json_quote(e.error), json_quote(e.request ? std::string_view(*e.request) : std::string_view()), json_quote(e.reply));
    first = false;
  }
  body += "]}";
  return AdminResponse{200, "application/json", body};
}

}  // namespace qiao
