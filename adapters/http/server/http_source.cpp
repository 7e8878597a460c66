#include "adapters/http/server/http_source.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <optional>

#include "adapters/http/server/http_errors.hpp"
#include "adapters/http/server/http_server.hpp"
#include "core/engine.hpp"
#include "core/flow/flow.hpp"
#include "core/generation.hpp"
#include "core/message.hpp"
#include "core/net/server_tls.hpp"

namespace qiao::http {

namespace bhttp = boost::beast::http;

namespace {

constexpr ConfigKey source_keys[] = {
    {"listen", KeyType::string, "", "address to listen on, host:port (port 0 picks a free one)", true},
    {"path", KeyType::string, "", "request path; a trailing /* matches every path under it", true},
    {"methods", KeyType::strings, "", "accepted methods (default: any); others get 405"},
    {"tls", KeyType::mapping, "", "HTTPS: cert, key, and client_ca for mutual TLS (whole listener)"},
    {"max_body", KeyType::size, "1MiB", "largest request body; larger gets 413 (whole listener)"},
    {"max_header", KeyType::size, "16KiB", "largest request header; larger gets 431 (whole listener)"},
    {"idle_timeout", KeyType::duration, "60s", "how long a keep-alive connection may wait for a request (whole listener)"},
    {"read_timeout", KeyType::duration, "30s", "how long reading one request may take (whole listener)"},
    {"write_timeout", KeyType::duration, "30s", "how long writing one reply may take (whole listener)"},
    {"max_connections", KeyType::integer, "10000", "open connections at most; more are closed at once (whole listener)"},
};

// Settings that belong to the listener, not the flow: a flow may leave them out, but two
// flows on one address must not disagree.
struct ListenerSettings {
  std::optional<ServerTlsSettings> tls;
  std::optional<std::size_t> max_body, max_header, max_connections;
  std::optional<std::chrono::milliseconds> idle_timeout, read_timeout, write_timeout;
};

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
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::vector<Route> routes;  // exact routes first, then prefixes longest first

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

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Object parse_query(std::string_view query) {
  Object out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    out.set(percent_decode(pair.substr(0, eq)), Value(eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1))));
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Renders like another renderer, but with a status of its own when one is given (408 and 431
// have no error kind).
class FixedStatusRenderer final : public ErrorRenderer {
 public:
  FixedStatusRenderer(const ErrorRenderer& inner, int status) : inner_(inner), status_(status) {}
  void render(const Error& error, Outcome& outcome) const override {
    inner_.render(error, outcome);
    if (status_) outcome.status = status_;
  }

 private:
  const ErrorRenderer& inner_;
  int status_;
};

class FlowRequestHandler final : public RequestHandler {
 public:
  FlowRequestHandler(std::string key, Host& host) : key_(std::move(key)), host_(host) {}

  ServerLimits limits() const override {
    auto gen = host_.generation();
    const auto* plan = gen ? static_cast<const HttpListenerPlan*>(gen->listener_plan(key_)) : nullptr;
    return plan ? plan->limits : ServerLimits{};
  }

  std::shared_ptr<boost::asio::ssl::context> tls() const override {
    auto gen = host_.generation();
    const auto* plan = gen ? static_cast<const HttpListenerPlan*>(gen->listener_plan(key_)) : nullptr;
    return plan ? plan->tls : nullptr;
  }

  boost::asio::awaitable<Response> handle(Request request, const ConnectionInfo& connection) override {
    auto gen = host_.generation();
    const auto* plan = gen ? static_cast<const HttpListenerPlan*>(gen->listener_plan(key_)) : nullptr;
    const std::string_view target = request.target();
    const auto question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view method = request.method_string();

    Message msg = make_message(request, connection, path, question == std::string_view::npos ? std::string_view() : target.substr(question + 1));
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
    Request empty;
    Message msg = make_message(empty, connection, "", "");
    // The status is settled before the engine accounts for the request, so the business log
    // and the journal say what the client got.
    const FixedStatusRenderer renderer(errors_, status);
    return respond(empty, host_.engine().reject(msg, std::move(error), renderer), {});
  }

 private:
  static Message make_message(const Request& request, const ConnectionInfo& connection, std::string_view path, std::string_view query) {
    Message msg;
    msg.id = next_message_id();
    for (const auto& field : request) msg.headers.push_back(lower(field.name_string()), Value(std::string(field.value())));
    const auto trace = request.find("X-Trace-Id");
    msg.trace_id = trace != request.end() ? std::string(trace->value()) : msg.id;
    msg.source.push_back("kind", Value("http"));
    msg.source.push_back("remote", Value(connection.remote));
    msg.source.push_back("tls", Value(connection.tls));
    if (!path.empty()) {
      msg.source.push_back("method", Value(std::string(request.method_string())));
      msg.source.push_back("path", Value(std::string(path)));
      msg.source.push_back("query", Value(parse_query(query)));
    }
    return msg;
  }

  static Response respond(const Request& request, Outcome outcome, const std::string& allow) {
    Response res;
    res.version(request.version() ? request.version() : 11);
    res.result(static_cast<unsigned>(outcome.status));
    res.set(bhttp::field::server, "qiao");
    if (!outcome.content_type.empty()) res.set(bhttp::field::content_type, outcome.content_type);
    res.set("X-Message-Id", outcome.message_id);
    if (!allow.empty()) res.set(bhttp::field::allow, allow);
    for (const auto& [name, value] : outcome.headers) {
      if (value.is_string()) res.set(name, value.as_string());
    }
    res.body() = std::move(outcome.body);
    return res;
  }

  std::string key_;
  Host& host_;
  HttpErrorRenderer errors_;
};

template <class T>
void merge(std::optional<T>& into, const std::optional<T>& value, const std::string& what, const HttpSourceSpec& spec,
           const std::string& key, Diagnostics& diag) {
  if (!value) return;
  if (into && !(*into == *value)) {
    diag.error(spec.location, "listener " + key + ": '" + what + "' differs from another flow on the same address");
    return;
  }
  into = value;
}

class HttpSourceKind final : public SourceKind {
 public:
  std::string_view name() const override { return "http"; }
  std::string_view description() const override { return "HTTP/1.1 and HTTPS server, routed by method and path"; }
  Schema schema() const override { return source_keys; }

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
    if (auto tls = reader.node("tls")) spec->settings.tls = parse_server_tls(*tls, diag);
    auto& s = spec->settings;
    if (reader.has("max_body")) s.max_body = reader.size("max_body");
    if (reader.has("max_header")) s.max_header = reader.size("max_header");
    if (reader.has("max_connections")) s.max_connections = static_cast<std::size_t>(std::max<std::int64_t>(1, reader.integer("max_connections")));
    if (reader.has("idle_timeout")) s.idle_timeout = reader.duration("idle_timeout");
    if (reader.has("read_timeout")) s.read_timeout = reader.duration("read_timeout");
    if (reader.has("write_timeout")) s.write_timeout = reader.duration("write_timeout");
    if (diag.errors().size() != errors_before) return nullptr;
    return spec;
  }

  std::shared_ptr<const ListenerPlan> plan(std::string_view key_view, std::span<const Flow* const> flows,
                                           Diagnostics& diag) const override {
    const std::string key(key_view);
    auto plan = std::make_shared<HttpListenerPlan>();
    ListenerSettings merged;
    for (const Flow* flow : flows) {
      const auto& spec = static_cast<const HttpSourceSpec&>(*flow->source);
      merge(merged.tls, spec.settings.tls, "tls", spec, key, diag);
      merge(merged.max_body, spec.settings.max_body, "max_body", spec, key, diag);
      merge(merged.max_header, spec.settings.max_header, "max_header", spec, key, diag);
      merge(merged.max_connections, spec.settings.max_connections, "max_connections", spec, key, diag);
      merge(merged.idle_timeout, spec.settings.idle_timeout, "idle_timeout", spec, key, diag);
      merge(merged.read_timeout, spec.settings.read_timeout, "read_timeout", spec, key, diag);
      merge(merged.write_timeout, spec.settings.write_timeout, "write_timeout", spec, key, diag);
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
    ServerLimits& limits = plan->limits;
    limits.max_body = merged.max_body.value_or(limits.max_body);
    limits.max_header = merged.max_header.value_or(limits.max_header);
    limits.max_connections = merged.max_connections.value_or(limits.max_connections);
    limits.idle_timeout = merged.idle_timeout.value_or(limits.idle_timeout);
    limits.read_timeout = merged.read_timeout.value_or(limits.read_timeout);
    limits.write_timeout = merged.write_timeout.value_or(limits.write_timeout);
    if (merged.tls) {
      auto context = make_server_tls_context(*merged.tls);
      if (!context) {
        diag.error(static_cast<const HttpSourceSpec&>(*flows.front()->source).location,
                   "listener " + key + ": " + context.error().message);
        return nullptr;
      }
      plan->tls = *context;
    }
    return plan;
  }

  Expected<std::unique_ptr<Listener>> open(std::string_view key, const ListenerPlan& plan, Host& host) const override {
    (void)plan;
    const auto address = parse_host_port(key.substr(key.find(' ') + 1));
    if (!address) return make_error(ErrorKind::internal, "bad listener key " + std::string(key));
    return open_http_listener(*address, std::make_shared<FlowRequestHandler>(std::string(key), host), host, std::string(key));
  }
};

}  // namespace

std::unique_ptr<SourceKind> make_http_source_kind() { return std::make_unique<HttpSourceKind>(); }

}  // namespace qiao::http
