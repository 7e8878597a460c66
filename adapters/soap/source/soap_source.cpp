#include "adapters/soap/source/soap_source.hpp"

#include "adapters/http/server/http_server.hpp"
#include "adapters/soap/source/soap_listener_plan.hpp"
#include "adapters/soap/source/soap_request_handler.hpp"
#include "adapters/soap/source/soap_source_spec.hpp"

namespace qiao::soap {

namespace {

class SoapSourceKind final : public SourceKind {
 public:
  std::string_view name() const override { return "soap"; }
  std::string_view description() const override {
    return "SOAP 1.1 and 1.2 WebService over HTTP(S): operations routed to flows, WSDL at path?wsdl";
  }
  Schema schema() const override { return soap_source_schema(); }

  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    return parse_soap_source(config, diag);
  }

  std::shared_ptr<const ListenerPlan> plan(std::string_view key, std::span<const Flow* const> flows,
                                           Diagnostics& diag) const override {
    return make_soap_listener_plan(key, flows, diag);
  }

  Expected<std::unique_ptr<Listener>> open(std::string_view key, const ListenerPlan& plan, Host& host) const override {
    (void)plan;
    const auto address = parse_host_port(key.substr(key.find(' ') + 1));
    if (!address) return make_error(ErrorKind::internal, "bad listener key " + std::string(key));
    return http::open_http_listener(*address, make_soap_request_handler(std::string(key), host), host, std::string(key));
  }
};

}  // namespace

std::unique_ptr<SourceKind> make_soap_source_kind() { return std::make_unique<SoapSourceKind>(); }

}  // namespace qiao::soap
