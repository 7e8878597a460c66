#include "adapters/http/server/http_source.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <array>

#include "adapters/http/server/fixed_status_renderer.hpp"
#include "adapters/http/server/http_errors.hpp"
#include "adapters/http/server/http_server.hpp"
#include "adapters/http/server/listener_settings.hpp"
#include "adapters/http/server/mounted_service.hpp"
#include "adapters/http/server/outcome_response.hpp"
#include "adapters/http/server/query_string.hpp"
#include "adapters/http/server/request_message.hpp"
#include "core/engine.hpp"
#include "core/flow/flow.hpp"
#include "core/generation.hpp"
#include "core/message.hpp"

namespace qiao::http {

namespace bhttp = boost::beast::http;

namespace {

constexpr auto source_keys = with_listener_settings(std::array<ConfigKey, 3>{{
    {"listen", KeyType::string, "", "address to listen on, host:port (port 0 picks a free one)", true},
    {"path", KeyType::string, "", "request path; a trailing /* matches every path under it", true},
    {"methods", KeyType::strings, "", "accepted methods (default: any); others get 405"},
}});

class HttpSourceSpec final : public SourceSpec {
 public:
  HostPort listen;
  std::string path;  // without the trailing "*" for prefix routes
  bool prefix = false;
  std::vector<std::string> methods;  // upper case; empty means any
  ListenerSettings settings;
  Location location;

  std::string listener_key() const override { return "http " + listen.str(); }
  std::string describe() const override {
    std::string m;
    for (const auto& method : methods) m += (m.empty() ? "" : ",") + method;
    return (settings.tls ? "https " : "http ") + (m.empty() ? std::string("*") : m) + " " + listen.str() + path +
           (prefix ? "*" : "");
  }
  bool allows(std::string_view method) const {
    return methods.empty() || std::find(methods.begin(), methods.end(), method) != methods.end();
  }
};

struct Route {
  const HttpSourceSpec* spec;
  const Flow* flow;
};

class HttpListenerPlan final : public ListenerPlan {
 public:
  ServerLimits limits;
  std::optional<Location> max_connections_set_at;
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::vector<Route> routes;  // exact routes first, then prefixes longest first
  std::vector<std::shared_ptr<const MountedService>> mounts;  // other kinds' services (soap)

  ListenerConnections connections() const override { return {limits.max_connections, max_connections_set_at}; }

  const MountedService* mount_at(std::string_view path) const {
    for (const auto& mount : mounts) {
      for (const auto& mounted : mount->paths()) {
        if (mounted == path) return mount.get();
      }
    }
    return nullptr;
  }

  // The service answering everything, errors included, on a listener that serves nothing else:
  // a SOAP-only port answers an unknown path or an unreadable request with a Fault.
  const MountedService* sole_mount() const { return routes.empty() && mounts.size() == 1 ? mounts.front().get() : nullptr; }

  // The route for a path and method; `allowed` collects the methods of routes on the path.
  const Route* match(std::string_view path, std::string_view method, std::string& allowed) const {
    bool path_matched = false;
    for (const auto& route : routes) {
      const auto& spec = *route.spec;
      const bool hit = spec.prefix ? path.starts_with(spec.path) : path == spec.path;
      if (!hit) continue;
      if (spec.allows(method)) return &route;
      if (!path_matched || !spec.prefix) {
        for (const auto& m : spec.methods) allowed += (allowed.empty() ? "" : ", ") + m;
      }
      path_matched = true;
    }
    return nullptr;
  }
};

class FlowRequestHandler final : public RequestHandler {
 public:
  FlowRequestHandler(std::string key, Host& host) : key_(std::move(key)), host_(host) {}

  ServerLimits limits() const override {
    auto gen = host_.generation();
    const auto* plan = plan_in(gen.get());
    return plan ? plan->limits : ServerLimits{};
  }

  std::shared_ptr<boost::asio::ssl::context> tls() const override {
    auto gen = host_.generation();
    const auto* plan = plan_in(gen.get());
    return plan ? plan->tls : nullptr;
  }

  boost::asio::awaitable<Response> handle(Request request, const ConnectionInfo& connection) override {
    auto gen = host_.generation();
    const auto* plan = plan_in(gen.get());
    const std::string_view target = request.target();
    const auto question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view method = request.method_string();
    const MountedService* service = plan ? plan->mount_at(path) : nullptr;
    if (!service && plan) service = plan->sole_mount();
    if (service) {
      // `gen` moves into the service's frame and keeps the plan, and so the service, alive.
      const bool tls = plan->tls != nullptr;
      co_return co_await service->handle(std::move(request), connection, std::move(gen), tls, host_);
    }

    Message msg = make_request_message(request, connection, "http", path);
    msg.source.push_back("query", Value(parse_query(question == std::string_view::npos ? std::string_view() : target.substr(question + 1))));
    if (!plan) co_return respond(request, host_.engine().reject(msg, Error{ErrorKind::unavailable, "this listener is closing"}, errors_), {});
    std::string allowed;
    const Route* route = plan->match(path, method, allowed);
    if (!route) {
      if (!allowed.empty()) {
        co_return respond(request,
                          host_.engine().reject(msg, Error{ErrorKind::method_not_allowed, std::string(method) + " is not allowed on " + std::string(path) + " (allowed: " + allowed + ")"}, errors_),
                          allowed);
      }
      co_return respond(request, host_.engine().reject(msg, Error{ErrorKind::not_found, "no flow serves " + std::string(method) + " " + std::string(path)}, errors_), {});
    }
    msg.raw = make_buffer(std::move(request.body()));
    Outcome outcome = co_await host_.engine().process(gen, *route->flow, std::move(msg), errors_);
    co_return respond(request, std::move(outcome), {});
  }

  Response reject(Error error, int status, const ConnectionInfo& connection) override {
    auto gen = host_.generation();
    const auto* plan = plan_in(gen.get());
    if (const MountedService* service = plan ? plan->sole_mount() : nullptr)
      return service->reject(std::move(error), status, connection, host_);
    Request empty;
    Message msg = make_request_message(empty, connection, "http", "");
    // The status is settled before the engine accounts for the request, so the business log
    // and the journal say what the client got.
    const FixedStatusRenderer renderer(errors_, status);
    return respond(empty, host_.engine().reject(msg, std::move(error), renderer), {});
  }

 private:
  const HttpListenerPlan* plan_in(const Generation* gen) const {
    return gen ? static_cast<const HttpListenerPlan*>(gen->listener_plan(key_)) : nullptr;
  }

  static Response respond(const Request& request, Outcome outcome, const std::string& allow) {
    return make_outcome_response(request.version(), std::move(outcome), allow);
  }

  std::string key_;
  Host& host_;
  HttpErrorRenderer errors_;
};

class HttpSourceKind final : public SourceKind {
 public:
  std::string_view name() const override { return "http"; }
  std::string_view description() const override { return "HTTP/1.1 and HTTPS server, routed by method and path"; }
  Schema schema() const override { return source_keys; }

  bool hosts(const SourceKind& other) const override {
    return &other == this || dynamic_cast<const MountingKind*>(&other) != nullptr;
  }

  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    const std::size_t errors_before = diag.errors().size();
    ConfigReader reader(config, source_keys, diag, "http source");
    auto spec = std::make_unique<HttpSourceSpec>();
    spec->location = config.location();
    if (reader.has("listen")) {
      auto address = parse_host_port(reader.string("listen"));
      if (!address) diag.error(reader.node("listen")->location(), "listen: expected host:port, found '" + reader.string("listen") + "'");
      else spec->listen = *address;
    }
    std::string path = reader.string("path");
    if (reader.has("path") && (path.empty() || path.front() != '/')) {
      diag.error(reader.node("path")->location(), "path must start with '/'");
    }
    if (path.ends_with("*")) {
      spec->prefix = true;
      path.pop_back();
    }
    spec->path = path;
    for (auto method : reader.strings("methods")) {
      std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (bhttp::string_to_verb(method) == bhttp::verb::unknown) {
        diag.error(reader.node("methods")->location(), "unknown HTTP method '" + method + "'");
      }
      spec->methods.push_back(method);
    }
    spec->settings = read_listener_settings(reader);
    if (diag.errors().size() != errors_before) return nullptr;
    return spec;
  }

  std::shared_ptr<const ListenerPlan> plan(std::string_view key_view, std::span<const Flow* const> flows,
                                           Diagnostics& diag) const override {
    const std::string key(key_view);
    auto plan = std::make_shared<HttpListenerPlan>();
    ListenerSettingsMerge settings(key);
    std::vector<std::pair<const SourceKind*, std::vector<const Flow*>>> mounted;  // by kind, in order
    const Location* first = nullptr;  // where a TLS problem is reported
    for (const Flow* flow : flows) {
      if (flow->source_kind != this) {
        const auto& mounting = dynamic_cast<const MountingKind&>(*flow->source_kind);
        // A SOAP client waits for its response envelope, which only the flow can write.
        if (flow->accept_stored)
          diag.error(mounting.location(*flow->source), "flow '" + flow->id + "': accept: stored is for http and MLLP sources; a " +
                                                           std::string(flow->source_kind->name()) + " client needs the flow's reply");
        settings.add(mounting.listener_settings(*flow->source), mounting.location(*flow->source), diag);
        if (!first) first = &mounting.location(*flow->source);
        auto group = std::find_if(mounted.begin(), mounted.end(), [&](const auto& g) { return g.first == flow->source_kind; });
        if (group == mounted.end()) mounted.emplace_back(flow->source_kind, std::vector<const Flow*>{flow});
        else group->second.push_back(flow);
        continue;
      }
      const auto& spec = static_cast<const HttpSourceSpec&>(*flow->source);
      settings.add(spec.settings, spec.location, diag);
      if (!first) first = &spec.location;
      for (const auto& other : plan->routes) {
        const auto& o = *other.spec;
        if (o.path != spec.path || o.prefix != spec.prefix) continue;
        const bool overlap = o.methods.empty() || spec.methods.empty() ||
                             std::any_of(spec.methods.begin(), spec.methods.end(), [&](const std::string& m) { return o.allows(m); });
        if (overlap) {
          diag.error(spec.location, "flow '" + flow->id + "' and flow '" + other.flow->id + "' both serve " + spec.describe());
        }
      }
      plan->routes.push_back(Route{&spec, flow});
    }
    std::stable_sort(plan->routes.begin(), plan->routes.end(), [](const Route& a, const Route& b) {
      if (a.spec->prefix != b.spec->prefix) return !a.spec->prefix;
      return a.spec->path.size() > b.spec->path.size();
    });
    if (!mount(*plan, key, mounted, diag)) return nullptr;
    plan->limits = settings.limits();
    plan->max_connections_set_at = settings.max_connections_set_at();
    if (!settings.make_tls(plan->tls, *first, diag)) return nullptr;
    return plan;
  }

  Expected<std::unique_ptr<Listener>> open(std::string_view key, const ListenerPlan& plan, Host& host) const override {
    (void)plan;
    const auto address = parse_host_port(key.substr(key.find(' ') + 1));
    if (!address) return make_error(ErrorKind::internal, "bad listener key " + std::string(key));
    return open_http_listener(*address, std::make_shared<FlowRequestHandler>(std::string(key), host), host, std::string(key));
  }

 private:
  // The other kinds' services on the listener; an exact http route on a mounted path, or two
  // services on one path, is a conflict (a prefix route simply does not see the mounted paths).
  static bool mount(HttpListenerPlan& plan, const std::string& key,
                    const std::vector<std::pair<const SourceKind*, std::vector<const Flow*>>>& mounted, Diagnostics& diag) {
    bool ok = true;
    for (const auto& [kind, group] : mounted) {
      auto service = dynamic_cast<const MountingKind&>(*kind).mount(key, group, diag);
      if (!service) {
        ok = false;
        continue;
      }
      for (const std::string& path : service->paths()) {
        for (const Route& route : plan.routes) {
          if (route.spec->prefix || route.spec->path != path) continue;
          diag.error(route.spec->location, "flow '" + route.flow->id + "' serves " + key.substr(key.find(' ') + 1) + path +
                                               ", where a " + std::string(kind->name()) + " service is");
          ok = false;
        }
        if (plan.mount_at(path)) {
          diag.error(dynamic_cast<const MountingKind&>(*kind).location(*group.front()->source),
                     "the " + std::string(kind->name()) + " service at " + path + " on " + key +
                         " clashes with another kind's service there");
          ok = false;
        }
      }
      plan.mounts.push_back(std::move(service));
    }
    return ok;
  }
};

}  // namespace

std::unique_ptr<SourceKind> make_http_source_kind() { return std::make_unique<HttpSourceKind>(); }

}  // namespace qiao::http
