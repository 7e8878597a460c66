#include "adapters/http/client/http_endpoint.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/http/verb.hpp>
#include <cctype>
#include <utility>

#include "adapters/http/client/client_settings.hpp"
#include "adapters/http/client/http_client.hpp"
#include "core/text/ascii.hpp"

namespace qiao::http {

namespace {

namespace bhttp = boost::beast::http;

constexpr ConfigKey http_keys[] = {
    client_url_key,
    {"method", KeyType::string, "POST",
     "HTTP method of every request: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS. GET and HEAD send no body."},
    client_headers_key,
    client_tls_key,
};

constexpr std::array<bhttp::verb, 7> allowed_methods = {bhttp::verb::get,    bhttp::verb::post,    bhttp::verb::put,
                                                        bhttp::verb::patch,  bhttp::verb::delete_, bhttp::verb::head,
                                                        bhttp::verb::options};

// Everything a call needs, fixed at parse time and shared by every worker's endpoint.
struct HttpSettings {
  std::shared_ptr<const ClientSettings> client;  // url, headers, TLS, timeouts, pool, codec
  bhttp::verb method = bhttp::verb::post;
  std::string method_text;
};

// ---- the request and the reply as Values ----

Expected<Request> build_request(const HttpSettings& settings, const HttpClient& client, const CallRequest& call) {
  const ClientSettings& transport = client.settings();
  Request request = client.make_request(settings.method);
  const bool bodyless = settings.method == bhttp::verb::get || settings.method == bhttp::verb::head;
  if (!bodyless && !call.body.is_null()) {
    auto bytes = transport.common.codec->encode(call.body);
    if (!bytes) return transport.fail(ErrorKind::bad_input, "cannot encode the request: " + bytes.error().message);
    request.set(bhttp::field::content_type, transport.common.codec->content_type());
    request.body() = std::move(*bytes);
  }
  if (auto added = client.add_headers(request, call.headers); !added) return std::move(added).error();
  request.prepare_payload();
  return request;
}

Expected<CallResponse> to_call_response(const ClientSettings& settings, Response&& response) {
  const int status = response.result_int();
  if (status >= 400) return status_error(settings, response);
  CallResponse out;
  out.status = status;
  out.headers = reply_headers(response);
  if (!response.body().empty()) {
    auto body = settings.common.codec->decode(make_buffer(std::move(response.body())));
    if (!body) {
      return settings.fail(
          ErrorKind::upstream,
          "reply is not valid " + std::string(settings.common.codec->content_type()) + ": " + body.error().message);
    }
    out.body = std::move(*body);
  }
  return out;
}

// The client is a copy, so a call still in flight when the endpoint goes away (end of a
// generation) finishes normally.
boost::asio::awaitable<Expected<CallResponse>> perform_call(std::shared_ptr<const HttpSettings> settings,
                                                            HttpClient client, CallRequest call) {
  auto request = build_request(*settings, client, call);
  if (!request) co_return std::move(request).error();
  auto response = co_await client.send(std::move(*request));
  if (!response) co_return std::move(response).error();
  co_return to_call_response(client.settings(), std::move(*response));
}

// ---- the plugin stages ----

class HttpEndpoint final : public Endpoint {
 public:
  explicit HttpEndpoint(std::shared_ptr<const HttpSettings> settings)
      : settings_(std::move(settings)), client_(settings_->client) {}
  ~HttpEndpoint() override { client_.retire(); }

  boost::asio::awaitable<Expected<CallResponse>> call(CallRequest request) override {
    return perform_call(settings_, client_, std::move(request));
  }

 private:
  std::shared_ptr<const HttpSettings> settings_;
  HttpClient client_;
};

class HttpEndpointSpec final : public EndpointSpec {
 public:
  explicit HttpEndpointSpec(std::shared_ptr<const HttpSettings> settings) : settings_(std::move(settings)) {}
  const EndpointCommon& common() const override { return settings_->client->common; }
  std::string describe() const override { return "http " + settings_->method_text + " " + settings_->client->url.text; }
  std::unique_ptr<Endpoint> instantiate(const Worker&) const override {
    return std::make_unique<HttpEndpoint>(settings_);
  }

 private:
  std::shared_ptr<const HttpSettings> settings_;
};

class HttpEndpointKind final : public EndpointKind {
 public:
  std::string_view name() const override { return "http"; }
  std::string_view description() const override {
    return "HTTP/1.1 client: one request per call, keep-alive connections pooled per worker, HTTPS with "
           "verification and mutual TLS";
  }
  Schema schema() const override { return http_keys; }
  std::string_view default_codec() const override { return "json"; }

  std::shared_ptr<const EndpointSpec> parse(const ConfigNode& config, EndpointCommon common,
                                            Diagnostics& diag) const override {
    const std::string what = "endpoint '" + common.name + "': http";
    const std::size_t errors_before = diag.errors().size();
    ConfigReader reader(config, http_keys, diag, what);
    auto client = std::make_shared<ClientSettings>();
    auto settings = std::make_shared<HttpSettings>();

    const bool url_ok = parse_client_url(reader, what, *client, diag);

    settings->method_text = ascii_upper(reader.string("method"));
    settings->method = bhttp::string_to_verb(settings->method_text);
    if (std::find(allowed_methods.begin(), allowed_methods.end(), settings->method) == allowed_methods.end()) {
      auto node = reader.node("method");
      diag.error(
          node ? node->location() : config.location(),
          what + ": method '" + settings->method_text + "' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
    }

    parse_client_headers(reader, what, *client, diag);
    if (url_ok) parse_client_tls_block(reader, what, *client, diag);

    // The core reports a codec it cannot create, and then passes none; say so only if nobody did.
    if (!common.codec && diag.ok()) diag.error(config.location(), what + ": no codec for the request and reply bodies");
    if (!common.codec) return nullptr;
    if (diag.errors().size() != errors_before) return nullptr;
    client->common = std::move(common);
    settings->client = std::move(client);
    return std::make_shared<HttpEndpointSpec>(std::move(settings));
  }
};

}  // namespace

std::unique_ptr<EndpointKind> make_http_endpoint_kind() { return std::make_unique<HttpEndpointKind>(); }

}  // namespace qiao::http
