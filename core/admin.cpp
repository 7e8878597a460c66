#include "core/admin.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cctype>
#include <charconv>
#include <ctime>
#include <optional>

#include "core/admin_messages.hpp"
#include "core/admin_queues.hpp"
#include "core/admin_replay.hpp"
#include "core/admin_support.hpp"
#include "core/flow/journal.hpp"
#include "core/json_text.hpp"
#include "core/metrics.hpp"
#include "core/net/host_port.hpp"
#include "core/runtime.hpp"
#include "core/store/store.hpp"
#include "core/text/ascii.hpp"

namespace qiao {

namespace admin {

AdminResponse error_response(int status, std::string_view code, std::string_view message) {
  return AdminResponse{status, "application/json",
                       fmt::format(R"({{"error":{{"code":{},"message":{}}}}})", json_quote(code), json_quote(message))};
}

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  // An empty view may hold a null pointer, which Boost.URL 1.81 measures with strlen.
  if (query.empty()) return std::nullopt;
  auto parsed = boost::urls::parse_query(boost::urls::string_view(query.data(), query.size()));
  if (!parsed) return std::nullopt;
  for (const auto& param : boost::urls::params_view(*parsed)) {
    if (param.key == name) return std::string(param.value);
  }
  return std::nullopt;
}

std::optional<AdminResponse> key_parameters(std::string_view query_string, JournalQuery& query) {
  if (query_string.empty()) return std::nullopt;
  auto parsed = boost::urls::parse_query(boost::urls::string_view(query_string.data(), query_string.size()));
  if (!parsed) return std::nullopt;
  // key.NAME=VALUE, as many as a flow has keys: rows with every one of them.
  for (const auto& param : boost::urls::params_view(*parsed)) {
    const std::string name = param.key;
    if (!name.starts_with("key.")) continue;
    if (name.size() == 4 || param.value.empty())
      return error_response(400, "bad_input", name + ": a key search is key.NAME=VALUE, both non-empty");
    query.keys.push_back(JournalKey{name.substr(4), std::string(param.value)});
  }
  if (query.keys.size() > max_journal_keys)
    return error_response(400, "bad_input", "at most " + std::to_string(max_journal_keys) + " key.NAME parameters");
  return std::nullopt;
}

std::optional<AdminResponse> journal_filter(std::string_view query_string, JournalQuery& query, bool& any_filter) {
  any_filter = false;
  for (auto [name, field] :
       {std::pair{"id", &query.message_id}, std::pair{"flow", &query.flow_id}, std::pair{"outcome", &query.outcome}}) {
    if (auto v = query_parameter(query_string, name); v && !v->empty()) {
      *field = *v;
      any_filter = true;
    }
  }
  for (auto [name, field] : {std::pair{"since", &query.since}, std::pair{"until", &query.until}}) {
    if (auto v = query_parameter(query_string, name); v && !v->empty()) {
      auto t = parse_iso_time(*v);
      if (!t)
        return error_response(400, "bad_input", std::string(name) + ": expected a time such as 2026-12-04T06:00:00Z");
      *field = *t;
      any_filter = true;
    }
  }
  if (auto refused = key_parameters(query_string, query)) return refused;
  any_filter = any_filter || !query.keys.empty();
  if (auto v = query_parameter(query_string, "limit"); v && !v->empty()) {
    std::size_t limit = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || end != v->data() + v->size() || limit == 0 || limit > 1000)
      return error_response(400, "bad_input", "limit must be 1..1000");
    query.limit = limit;
  }
  return std::nullopt;
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(t));
}

std::string delivery_json(const Delivery& d) {
  std::string history = "[";
  for (const DeliveryAttempt& a : d.history) {
    history += fmt::format(R"({}{{"number":{},"startedAt":{},"finishedAt":{},"outcome":{},"error":{}}})",
                           history.size() > 1 ? "," : "", a.number, json_quote(iso_time(a.started_at)),
                           a.finished_at ? json_quote(iso_time(*a.finished_at)) : std::string("null"),
                           json_quote(a.outcome), json_quote(a.error));
  }
  history += "]";
  const char* state = d.state == DeliveryState::queued ? "queued"
                      : d.state == DeliveryState::dead ? "dead"
                                                       : "delivered";
  return fmt::format(
      R"({{"id":{},"endpoint":{},"orderKey":{},"messageId":{},"flow":{},"state":"{}","createdAt":{},"deliveredAt":{},)"
      R"("attempts":{},"totalAttempts":{},"lastError":{},"history":{}}})",
      d.id, json_quote(d.endpoint), json_quote(d.order_key), json_quote(d.message_id), json_quote(d.flow_id), state,
      json_quote(iso_time(d.created_at)), d.delivered_at ? json_quote(iso_time(*d.delivered_at)) : std::string("null"),
      d.attempts, d.total_attempts, json_quote(d.last_error), history);
}

std::optional<std::chrono::system_clock::time_point> parse_iso_time(std::string_view text) {
  std::tm tm{};
  const std::string copy(text);
  const char* end = ::strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

}  // namespace admin

using admin::error_response;
using admin::iso_time;
using admin::query_parameter;

namespace {

// A message id put back into a query string (ids are the gateway's own, but an operator types them).
std::string percent_encoded(std::string_view text) { return boost::urls::encode(text, boost::urls::unreserved_chars); }

std::string json_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json_quote(items[i]);
  return out + "]";
}

std::string reload_json(const ReloadReport& r) {
  return fmt::format(R"({{"ok":{},"generation":{},"at":{},"trigger":{},"errors":{}}})", r.ok, r.generation,
                     json_quote(iso_time(r.at)), json_quote(r.trigger), json_strings(r.errors));
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::optional<boost::asio::ip::address> ip_address(const std::string& host) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return address;
}

// Digests are compared rather than the texts, so neither the time taken nor an early length
// check tells a guesser how much of the token was right.
using Digest = std::array<unsigned char, 32>;
Digest sha256(std::string_view text) {
  Digest digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

bool state_changing(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "DELETE" || method == "PATCH";
}

// "application/json", parameters (charset) allowed; what a browser sends cross-origin without
// a preflight (text/plain, a form) is not.
bool is_json_media_type(std::string_view content_type) {
  std::string type = ascii_lower(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  return type == "application/json";
}

// Takes its arguments by value: a coroutine lambda's captures do not outlive the lambda.
boost::asio::awaitable<AdminResponse> serve_queues(DeliveryService& deliveries, std::string method, std::string path,
                                                   std::string query) {
  co_return queues_resource(deliveries, method, path, query);
}

}  // namespace

AdminApi::AdminApi(Runtime& runtime, Store* store, std::string token)
    : runtime_(runtime), store_(store), token_(std::move(token)) {}

AdminApi::~AdminApi() { journal_reader_.join(); }

void AdminApi::listening_on(const std::string& bound_address, bool tls) {
  auto next = std::make_shared<Origins>();
  const auto bound = parse_host_port(bound_address);
  const std::string scheme = tls ? "https://" : "http://";
  const std::uint16_t default_port = tls ? 443 : 80;
  auto add = [&](const std::string& host, std::uint16_t port) {
    // A bare host is what a client sends on the scheme's default port.
    for (const std::string& authority :
         {host + ":" + std::to_string(port), port == default_port ? host : std::string()}) {
      if (authority.empty() || contains(next->hosts, ascii_lower(authority))) continue;
      next->hosts.push_back(ascii_lower(authority));
      next->origins.push_back(ascii_lower(scheme + authority));
    }
  };
  if (bound) {
    const std::string literal = bound->host.find(':') != std::string::npos ? "[" + bound->host + "]" : bound->host;
    add(literal, bound->port);
    // Clients of a loopback (or every-interface) listener name it localhost as often as not.
    const auto ip = ip_address(bound->host);
    const bool any = ip && ip->is_unspecified();
    if (any || (ip && ip->is_loopback())) add("localhost", bound->port);
    if (any) {
      add("127.0.0.1", bound->port);
      add("[::1]", bound->port);
    }
    for (const std::string& name : runtime_.config().admin_hosts) {
      // "name" or "[v6]" takes the listen port; "name:port" is taken as written.
      const bool has_port = name.find(':') != std::string::npos && name.back() != ']';
      if (has_port) {
        if (!contains(next->hosts, ascii_lower(name))) {
          next->hosts.push_back(ascii_lower(name));
          next->origins.push_back(ascii_lower(scheme + name));
        }
      } else {
        add(name, bound->port);
      }
    }
  }
  std::lock_guard lock(origins_mutex_);
  origins_ = std::move(next);
}

std::shared_ptr<const AdminApi::Origins> AdminApi::origins() const {
  std::lock_guard lock(origins_mutex_);
  return origins_;
}

bool AdminApi::token_matches(std::string_view authorization) const {
  constexpr std::string_view scheme = "bearer ";
  if (token_.empty() || authorization.size() < scheme.size() ||
      ascii_lower(authorization.substr(0, scheme.size())) != scheme) {
    return false;
  }
  const Digest presented = sha256(authorization.substr(scheme.size()));
  const Digest expected = sha256(token_);
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

boost::asio::awaitable<AdminResponse> AdminApi::handle(AdminRequest request) {
  const auto question = request.target.find('?');
  const std::string path = request.target.substr(0, question);
  const std::string_view query =
      question == std::string::npos ? std::string_view() : std::string_view(request.target).substr(question + 1);

  // /healthz is checked too: a probe names the admin listener by its address or by a name in
  // admin.hosts, and a page loaded from elsewhere has no business polling it.
  const auto accepted = origins();
  if (!accepted || !contains(accepted->hosts, ascii_lower(request.host))) {
    co_return error_response(421, "misdirected_request",
                             "Host '" + request.host + "' is not this admin listener (add the name to admin.hosts)");
  }
  const std::string fetch_site = ascii_lower(request.sec_fetch_site);
  if (fetch_site == "cross-site" || fetch_site == "same-site" ||
      (!request.origin.empty() && !contains(accepted->origins, ascii_lower(request.origin)))) {
    co_return error_response(403, "forbidden", "the admin API does not answer requests from other origins");
  }

  // Without a token: a load balancer's or supervisor's liveness probe, which has no secret to
  // send and learns nothing but the node name and generation. (There is no /readyz: the
  // gateway answers its admin API only once the first generation serves.)
  if (path == "/healthz") {
    auto gen = runtime_.generation();
    co_return AdminResponse{200, "application/json",
                            fmt::format(R"({{"status":"ok","node":{},"generation":{}}})",
                                        json_quote(runtime_.config().node_name), gen ? gen->number() : 0)};
  }
  if (!token_matches(request.authorization)) {
    co_return error_response(401, "unauthorized",
                             "the admin API needs 'Authorization: Bearer <token>' (admin.token, or var/admin.token)");
  }
  if (state_changing(request.method) &&
      (request.content_type.empty() ? request.has_body : !is_json_media_type(request.content_type))) {
    co_return error_response(415, "unsupported_media_type",
                             "a " + request.method + " to the admin API carries application/json or no body");
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
        runtime.control_context(),
        [&runtime]() -> boost::asio::awaitable<ReloadReport> { co_return runtime.reload("admin api"); },
        boost::asio::use_awaitable);
    co_return AdminResponse{report.ok ? 200 : 422, "application/json", reload_json(report)};
  }
  if (path == "/api/messages/replay") {
    if (request.method != "POST") co_return error_response(405, "method_not_allowed", "use POST");
    DeliveryService* deliveries = runtime_.deliveries();
    if (!store_ || !deliveries) co_return error_response(503, "unavailable", "no store is configured");
    co_return co_await boost::asio::co_spawn(
        journal_reader_, replay_messages(*store_, *deliveries, runtime_.generation(), std::string(query)),
        boost::asio::use_awaitable);
  }
  if (path == "/api/messages" || path.starts_with("/api/messages/")) {
    if (!store_) co_return error_response(503, "unavailable", "no store is configured");
    std::string id(path.substr(std::min(path.size(), std::string_view("/api/messages/").size())));
    if (id.find('%') != std::string::npos) id = admin::query_parameter("id=" + id, "id").value_or(id);
    if (path != "/api/messages" && id.ends_with("/replay")) {
      // The one message, as ?id= would pick it; the rest of the query (dry_run) as given.
      if (request.method != "POST") co_return error_response(405, "method_not_allowed", "use POST");
      DeliveryService* deliveries = runtime_.deliveries();
      if (!deliveries) co_return error_response(503, "unavailable", "no store is configured");
      id.resize(id.size() - std::string_view("/replay").size());
      std::string replay_query = "id=" + percent_encoded(id) + (query.empty() ? "" : "&" + std::string(query));
      co_return co_await boost::asio::co_spawn(
          journal_reader_, replay_messages(*store_, *deliveries, runtime_.generation(), std::move(replay_query)),
          boost::asio::use_awaitable);
    }
    if (request.method != "GET") co_return error_response(405, "method_not_allowed", "use GET");
    if (id.empty() && path != "/api/messages")
      co_return error_response(404, "not_found", "no such resource: " + std::string(path));
    // A coroutine function, not a lambda: GCC 12 frees a capturing lambda's std::string twice
    // when the lambda is a temporary in a co_await.
    co_return co_await boost::asio::co_spawn(
        journal_reader_, serve_messages(*store_, path != "/api/messages", std::move(id), std::string(query)),
        boost::asio::use_awaitable);
  }
  if (path == "/api/queues" || path.starts_with("/api/queues/")) {
    DeliveryService* deliveries = runtime_.deliveries();
    if (!deliveries) co_return error_response(503, "unavailable", "no store is configured, so there are no queues");
    // Dead-letter actions wait for the store's commit: off the worker, like journal searches.
    co_return co_await boost::asio::co_spawn(journal_reader_,
                                             serve_queues(*deliveries, request.method, path, std::string(query)),
                                             boost::asio::use_awaitable);
  }
  co_return error_response(404, "not_found", "no admin resource at " + path);
}

AdminResponse AdminApi::flows() const {
  auto gen = runtime_.generation();
  std::string body =
      fmt::format(R"({{"generation":{},"loadedAt":{},"lastReload":{},"flows":[)", gen ? gen->number() : 0,
                  json_quote(gen ? iso_time(gen->loaded_at()) : ""), reload_json(runtime_.last_reload()));
  if (gen) {
    bool first = true;
    for (const auto& flow : gen->flows()) {
      const FlowStats* stats = flow->stats;
      body += fmt::format(R"({}{{"id":{},"description":{},"file":{},"source":{},"decode":{},"generation":{},)"
                          R"("counts":{{"total":{},"ok":{},"errors":{},"inFlight":{}}},"lastError":{}}})",
                          first ? "" : ",", json_quote(flow->id), json_quote(flow->description),
                          json_quote(flow->location.str()), json_quote(flow->source->describe()),
                          json_quote(flow->decode_name), gen->number(), stats ? stats->total() : 0,
                          stats ? stats->count(nullptr) : 0, stats ? stats->errors() : 0,
                          stats ? stats->in_flight.load() : 0, json_quote(stats ? stats->last_error() : ""));
      first = false;
    }
  }
  body += "],\"listeners\":[";
  bool first_listener = true;
  for (const auto& [key, address] : runtime_.listener_addresses()) {
    body +=
        fmt::format(R"({}{{"key":{},"address":{}}})", first_listener ? "" : ",", json_quote(key), json_quote(address));
    first_listener = false;
  }
  body += "]}";
  return AdminResponse{200, "application/json", body};
}

}  // namespace qiao
