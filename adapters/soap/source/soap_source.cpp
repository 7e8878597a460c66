#include "adapters/soap/source/soap_source.hpp"

#include "adapters/http/server/mounted_service.hpp"
#include "adapters/soap/source/soap_mount.hpp"
#include "adapters/soap/source/soap_services.hpp"
#include "adapters/soap/source/soap_source_spec.hpp"
#include "core/flow/flow.hpp"

namespace qiao::soap {

namespace {

class SoapSourceKind final : public SourceKind, public http::MountingKind {
 public:
  std::string_view name() const override { return "soap"; }
  std::string_view description() const override {
    return "SOAP 1.1 and 1.2 WebService over HTTP(S), beside http flows on one port: operations routed to flows, "
           "WSDL at path?wsdl";
  }
  Schema schema() const override { return soap_source_schema(); }

  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    return parse_soap_source(config, diag);
  }

  // A soap flow's listener key names http (SoapSourceSpec::listener_key): the http kind plans and
  // opens the listener and asks mount() below, so a listener of soap's own is never asked for.
  std::shared_ptr<const ListenerPlan> plan(std::string_view key, std::span<const Flow* const> flows,
                                           Diagnostics& diag) const override {
    diag.error(flows.front()->location, "internal: listener " + std::string(key) + " is not an HTTP listener");
    return nullptr;
  }

  Expected<std::unique_ptr<Listener>> open(std::string_view key, const ListenerPlan&, Host&) const override {
    return make_error(ErrorKind::internal, "listener " + std::string(key) + " is not an HTTP listener");
  }

  const http::ListenerSettings& listener_settings(const SourceSpec& spec) const override {
    return static_cast<const SoapSourceSpec&>(spec).settings;
  }

  const Location& location(const SourceSpec& spec) const override {
    return static_cast<const SoapSourceSpec&>(spec).location;
  }

  std::shared_ptr<const http::MountedService> mount(std::string_view, std::span<const Flow* const> flows,
                                                    Diagnostics& diag) const override {
    auto services = make_soap_services(flows, diag);
    if (!services) return nullptr;
    return make_soap_mount(std::move(*services));
  }
};

}  // namespace

std::unique_ptr<SourceKind> make_soap_source_kind() { return std::make_unique<SoapSourceKind>(); }

}  // namespace qiao::soap
