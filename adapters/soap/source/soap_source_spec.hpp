#pragma once
// One flow's `soap:` source block: where it listens, the service on the path, and the operations
// this flow serves. Several flows may share a listen address and path; soap_services.hpp puts
// their operations together and reports conflicts.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/server/http_served_source.hpp"
#include "core/config/schema.hpp"
#include "core/net/host_port.hpp"
#include "core/source.hpp"

namespace qiao::soap {

inline constexpr std::string_view default_namespace = "http://tempuri.org/";

struct OperationSpec {
  std::string name;
  std::optional<std::string> action;               // SOAPAction; unset: namespace + name, settled by the plan
  std::vector<std::string> params;                 // empty: the WSDL declares one string `input`
  std::vector<std::string> results;                // [<name>Result] unless given
  std::vector<std::string> nested, arrays, cdata;  // the XML codec's meanings
  Location location;
};

// A value a flow may state for its path, with where it said so (for conflict errors).
template <class T>
struct Stated {
  std::optional<T> value;
  Location location;
};

// Served by the http listener on its address, beside any http flows there (`mounter` is the soap
// source kind's).
class SoapSourceSpec final : public http::HttpServedSource {
 public:
  std::string path;
  Stated<std::string> namespace_uri;
  Stated<std::string> service;
  // The user's WSDL: its path as configured and the text read at load.
  Stated<std::string> wsdl_file;
  std::shared_ptr<const std::string> wsdl_text;
  std::string charset;  // normalized; empty: UTF-8
  std::vector<OperationSpec> operations;
  std::string describe() const override;
};

Schema soap_source_schema();

// Null (with errors in `diag`) when the block is invalid. Reads the `wsdl:` file now, so a
// reload sees its changes and a missing file fails the load.
std::unique_ptr<SoapSourceSpec> parse_soap_source(const ConfigNode& config, Diagnostics& diag);

// The service name a path implies: its last segment without extension ("/HisService.asmx" →
// "HisService"); "Service" when that leaves nothing usable.
std::string service_name_from_path(std::string_view path);

}  // namespace qiao::soap
