#include "adapters/soap/client/soap_endpoint.hpp"

#include <utility>

#include "adapters/http/client/http_client.hpp"
#include "adapters/soap/client/soap_reply.hpp"
#include "adapters/soap/client/soap_request.hpp"
#include "adapters/soap/client/soap_settings.hpp"

namespace qiao::soap {

namespace {

// The settings and the client are copies (shared pointers), so a call still in flight when the
// endpoint goes away (end of a generation) finishes normally.
boost::asio::awaitable<Expected<CallResponse>> perform_call(std::shared_ptr<const SoapSettings> settings,
                                                            http::HttpClient client, CallRequest call) {
  const std::string operation = call.operation.empty() ? settings->default_operation : call.operation;
  if (operation.empty()) {
    co_return settings->fail(ErrorKind::bad_input,
                             "no operation: the call names none and the endpoint has no default `operation`");
  }
  auto request = build_soap_request(*settings, client, operation, call);
  if (!request) co_return std::move(request).error();
  auto response = co_await client.send(std::move(*request));
  if (!response) co_return std::move(response).error();
  co_return read_soap_reply(*settings, operation, std::move(*response));
}

class SoapEndpoint final : public Endpoint {
 public:
  explicit SoapEndpoint(std::shared_ptr<const SoapSettings> settings)
      : settings_(std::move(settings)), client_(settings_->client) {}
  ~SoapEndpoint() override { client_.retire(); }

  boost::asio::awaitable<Expected<CallResponse>> call(CallRequest request) override {
    return perform_call(settings_, client_, std::move(request));
  }

 private:
  std::shared_ptr<const SoapSettings> settings_;
  http::HttpClient client_;
};

class SoapEndpointSpec final : public EndpointSpec {
 public:
  explicit SoapEndpointSpec(std::shared_ptr<const SoapSettings> settings) : settings_(std::move(settings)) {}
  const EndpointCommon& common() const override { return settings_->client->common; }
  std::string describe() const override {
    return "soap " + std::string(version_name(settings_->version)) + " " + settings_->client->url.text;
  }
  std::unique_ptr<Endpoint> instantiate(const Worker&) const override {
    return std::make_unique<SoapEndpoint>(settings_);
  }

 private:
  std::shared_ptr<const SoapSettings> settings_;
};

class SoapEndpointKind final : public EndpointKind {
 public:
  std::string_view name() const override { return "soap"; }
  std::string_view description() const override {
    return "SOAP 1.1/1.2 WebService client: an operation's envelope from the call's body, the response element "
           "(nested XML strings decoded) back, Faults as errors with faultcode and faultstring; WS-Security "
           "UsernameToken, GBK; on the pooled keep-alive HTTP client with HTTPS";
  }
  Schema schema() const override { return soap_endpoint_keys(); }
  // The core builds a codec from this for every endpoint; envelopes are read and written by the
  // endpoint itself (their XML options vary by operation), so it stays unused.
  std::string_view default_codec() const override { return "xml"; }

  std::shared_ptr<const EndpointSpec> parse(const ConfigNode& config, EndpointCommon common,
                                            Diagnostics& diag) const override {
    auto settings = parse_soap_settings(config, std::move(common), diag);
    if (!settings) return nullptr;
    return std::make_shared<SoapEndpointSpec>(std::move(settings));
  }
};

}  // namespace

std::unique_ptr<EndpointKind> make_soap_endpoint_kind() { return std::make_unique<SoapEndpointKind>(); }

}  // namespace qiao::soap
