#include "adapters/http/server/http_listener_kind.hpp"

#include <algorithm>

#include "adapters/http/server/fixed_status_renderer.hpp"
#include "adapters/http/server/http_errors.hpp"
#include "adapters/http/server/http_server.hpp"
#include "adapters/http/server/http_source_spec.hpp"
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

namespace {

struct Route {
  const HttpSourceSpec* spec;
  const Flow* flow;
};

class HttpListenerPlan final : public ListenerPlan {
 public:
  ServerLimits limits;
  std::optional<Location> max_connections_set_at;
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::vector<Route> routes;                                  // exact routes first, then prefixes longest first
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
  const MountedService* sole_mount() const {
    return routes.empty() && mounts.size() == 1 ? mounts.front().get() : nullptr;
  }

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
    msg.source.push_back("query", Value(parse_query(question == std::string_view::npos ? std::string_view()
                                                                                       : target.substr(question + 1))));
    if (!plan)
      co_return respond(
          request, host_.engine().reject(msg, Error{ErrorKind::unavailable, "this listener is closing"}, errors_), {});
    std::string allowed;
    const Route* route = plan->match(path, method, allowed);
    if (!route) {
      if (!allowed.empty()) {
        co_return respond(request,
                          host_.engine().reject(msg,
                                                Error{ErrorKind::method_not_allowed,
                                                      std::string(method) + " is not allowed on " + std::string(path) +
                                                          " (allowed: " + allowed + ")"},
                                                errors_),
                          allowed);
      }
      co_return respond(
          request,
          host_.engine().reject(
              msg, Error{ErrorKind::not_found, "no flow serves " + std::string(method) + " " + std::string(path)},
              errors_),
          {});
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

// Serves the flows whose sources are HttpServedSource specs: http routes and the services other
// adapters mount (soap).
class HttpListenerKind final : public ListenerKind {
 public:
  std::string_view name() const override { return "http"; }

  std::shared_ptr<const ListenerPlan> plan(std::string_view key_view, std::span<const Flow* const> flows,
                                           Diagnostics& diag) const override {
    const std::string key(key_view);
    auto plan = std::make_shared<HttpListenerPlan>();
    ListenerSettingsMerge settings(key);
    std::vector<std::pair<const ServiceMounter*, std::vector<const Flow*>>> mounted;  // by mounter, in order
    const Location* first = nullptr;                                                  // where a TLS problem is reported
    for (const Flow* flow : flows) {
      const auto& served = static_cast<const HttpServedSource&>(*flow->source);
      settings.add(served.settings, served.location, diag);
      if (!first) first = &served.location;
      if (const ServiceMounter* mounter = served.mounter) {
        // A SOAP client waits for its response envelope, which only the flow can write.
        if (flow->accept_stored)
          diag.error(served.location, "flow '" + flow->id + "': accept: stored is for http and MLLP sources; a " +
                                          std::string(mounter->name()) + " client needs the flow's reply");
        auto group = std::find_if(mounted.begin(), mounted.end(), [&](const auto& g) { return g.first == mounter; });
        if (group == mounted.end()) mounted.emplace_back(mounter, std::vector<const Flow*>{flow});
        else group->second.push_back(flow);
        continue;
      }
      const auto& spec = static_cast<const HttpSourceSpec&>(served);  // a source without a mounter is a route
      for (const auto& other : plan->routes) {
        const auto& o = *other.spec;
        if (o.path != spec.path || o.prefix != spec.prefix) continue;
        const bool overlap =
            o.methods.empty() || spec.methods.empty() ||
            std::any_of(spec.methods.begin(), spec.methods.end(), [&](const std::string& m) { return o.allows(m); });
        if (overlap) {
          diag.error(spec.location,
                     "flow '" + flow->id + "' and flow '" + other.flow->id + "' both serve " + spec.describe());
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
    return open_http_listener(*address, std::make_shared<FlowRequestHandler>(std::string(key), host), host,
                              std::string(key));
  }

 private:
  // The other kinds' services on the listener; an exact http route on a mounted path, or two
  // services on one path, is a conflict (a prefix route simply does not see the mounted paths).
  static bool mount(HttpListenerPlan& plan, const std::string& key,
                    const std::vector<std::pair<const ServiceMounter*, std::vector<const Flow*>>>& mounted,
                    Diagnostics& diag) {
    bool ok = true;
    for (const auto& [mounter, group] : mounted) {
      auto service = mounter->mount(key, group, diag);
      if (!service) {
        ok = false;
        continue;
      }
      for (const std::string& path : service->paths()) {
        for (const Route& route : plan.routes) {
          if (route.spec->prefix || route.spec->path != path) continue;
          diag.error(route.spec->location, "flow '" + route.flow->id + "' serves " + key.substr(key.find(' ') + 1) +
                                               path + ", where a " + std::string(mounter->name()) + " service is");
          ok = false;
        }
        if (plan.mount_at(path)) {
          diag.error(static_cast<const HttpServedSource&>(*group.front()->source).location,
                     "the " + std::string(mounter->name()) + " service at " + path + " on " + key +
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

std::unique_ptr<ListenerKind> make_http_listener_kind() { return std::make_unique<HttpListenerKind>(); }

}  // namespace qiao::http
