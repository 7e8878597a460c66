#pragma once
// What the soap flows on one HTTP listener serve in one generation: per path, the service
// (namespace, name, WSDL) and its operations from every flow on the address, each with the flow
// that serves it and its reply codecs. Built once per load; requests only look things up.

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/soap/envelope.hpp"
#include "adapters/soap/source/wsdl.hpp"
#include "core/codec.hpp"
#include "core/source.hpp"

namespace qiao {
class Flow;
}

namespace qiao::soap {

struct SoapOperation {
  std::string name;
  std::string action;
  const Flow* flow = nullptr;
  std::array<std::shared_ptr<const Codec>, 2> reply_codecs;  // by Version: 1.1, 1.2

  const Codec& reply_codec(Version version) const { return *reply_codecs[version == Version::v1_1 ? 0 : 1]; }
  std::shared_ptr<const Codec> shared_reply_codec(Version version) const {
    return reply_codecs[version == Version::v1_1 ? 0 : 1];
  }
};

struct SoapService {
  std::string path;
  WsdlService description;                       // for the generated WSDL
  std::shared_ptr<const std::string> wsdl_file;  // the user's WSDL, served as-is when set
  xml::Options read_options;                     // union of the operations' nested= and arrays=
  std::vector<SoapOperation> operations;

  // By the action (exactly, else its last segment after '/' or '#' as an operation name), else
  // by the body's element name; null when neither names an operation.
  const SoapOperation* find(std::string_view action, std::string_view element) const;
};

struct SoapServices {
  std::vector<SoapService> services;
  std::vector<std::string> paths;  // of the services, in order

  const SoapService* find(std::string_view path) const;
};

// Nothing when the flows conflict (errors in `diag` at the flow's file:line). Listener settings
// (TLS, limits) are the HTTP listener's business.
std::optional<SoapServices> make_soap_services(std::span<const Flow* const> flows, Diagnostics& diag);

}  // namespace qiao::soap
