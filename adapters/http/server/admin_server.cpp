#include "adapters/http/server/admin_server.hpp"

#include <boost/beast/http/field.hpp>

#include "adapters/http/server/http_errors.hpp"
#include "adapters/http/server/http_server.hpp"
#include "core/admin.hpp"
#include "core/json_text.hpp"
#include "core/net/descriptor_budget.hpp"

namespace qiao::http {

namespace bhttp = boost::beast::http;

namespace {

class AdminRequestHandler final : public RequestHandler {
 public:
  AdminRequestHandler(AdminApi& api, std::shared_ptr<boost::asio::ssl::context> tls)
      : api_(api), tls_(std::move(tls)) {}

  ServerLimits limits() const override {
    ServerLimits limits;
    limits.max_body = 64 * 1024;
    limits.max_connections = admin_max_connections;
    limits.max_connections_per_address = admin_max_connections;
    return limits;
  }
  std::shared_ptr<boost::asio::ssl::context> tls() const override { return tls_; }

  boost::asio::awaitable<Response> handle(Request request, const ConnectionInfo&) override {
    AdminRequest admin{.method = std::string(request.method_string()),
                       .target = std::string(request.target()),
                       .authorization = std::string(request[bhttp::field::authorization]),
                       .host = std::string(request[bhttp::field::host]),
                       .origin = std::string(request[bhttp::field::origin]),
                       .sec_fetch_site = std::string(request["Sec-Fetch-Site"]),
                       .content_type = std::string(request[bhttp::field::content_type]),
                       .has_body = !request.body().empty()};
    AdminResponse answer = co_await api_.handle(std::move(admin));
    Response res{static_cast<bhttp::status>(answer.status), request.version()};
    res.set(bhttp::field::server, "qiao");
    res.set(bhttp::field::content_type, answer.content_type);
    // RFC 6750: a 401 names the scheme the client should use.
    if (answer.status == 401) res.set(bhttp::field::www_authenticate, "Bearer realm=\"qiao admin\"");
    res.body() = std::move(answer.body);
    co_return res;
  }

  Response reject(Error error, int status, const ConnectionInfo&) override {
    Response res{static_cast<bhttp::status>(status ? status : status_for(error.kind)), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = "{\"error\":{\"code\":" + json_quote(error_kind_name(error.kind)) +
                 ",\"message\":" + json_quote(error.message) + "}}";
    return res;
  }

 private:
  AdminApi& api_;
  const std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace

Expected<std::unique_ptr<Listener>> serve_admin(const std::string& address, const std::optional<ServerTlsSettings>& tls,
                                                AdminApi& api, Host& host) {
  auto parsed = parse_host_port(address);
  if (!parsed) return make_error(ErrorKind::config, "admin.listen: expected host:port, found '" + address + "'");
  std::shared_ptr<boost::asio::ssl::context> context;
  if (tls) {
    auto made = make_server_tls_context(*tls);
    if (!made) return make_error(ErrorKind::config, "admin." + made.error().message);
    context = *made;
  }
  auto listener = open_http_listener(*parsed, std::make_shared<AdminRequestHandler>(api, context), host, "admin",
                                     TcpListenerOptions{.spare_fd = true});
  if (listener) api.listening_on((*listener)->address(), tls.has_value());
  return listener;
}

}  // namespace qiao::http
