#include "adapters/soap/source/soap_source.hpp"

#include "adapters/http/server/mounted_service.hpp"
#include "adapters/soap/source/soap_mount.hpp"
#include "adapters/soap/source/soap_services.hpp"
#include "adapters/soap/source/soap_source_spec.hpp"
#include "core/flow/flow.hpp"

namespace qiao::soap {

namespace {

// The WebServices of the soap flows on one http listener, beside its http flows.
class SoapMounter final : public http::ServiceMounter {
 public:
  std::string_view name() const override { return "soap"; }
  std::shared_ptr<const http::MountedService> mount(std::string_view, std::span<const Flow* const> flows,
                                                    Diagnostics& diag) const override {
    auto services = make_soap_services(flows, diag);
    if (!services) return nullptr;
    return make_soap_mount(std::move(*services));
  }
};

class SoapSourceKind final : public SourceKind {
 public:
  std::string_view name() const override { return "soap"; }
  std::string_view description() const override {
    return "SOAP 1.1 and 1.2 WebService over HTTP(S), beside http flows on one port: operations routed to flows, "
           "WSDL at path?wsdl";
  }
  Schema schema() const override { return soap_source_schema(); }

  // The http listener serves the flow: the spec names that listener and this kind's mounter.
  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    auto spec = parse_soap_source(config, diag);
    if (spec) spec->mounter = &mounter_;
    return spec;
  }

 private:
  SoapMounter mounter_;
};

}  // namespace

std::unique_ptr<SourceKind> make_soap_source_kind() { return std::make_unique<SoapSourceKind>(); }

}  // namespace qiao::soap
