#include "adapters/soap/source/soap_services.hpp"

#include <algorithm>
#include <map>

#include "adapters/soap/source/soap_reply_codec.hpp"
#include "adapters/soap/source/soap_source_spec.hpp"
#include "core/flow/flow.hpp"

namespace qiao::soap {

namespace {

void add_all(std::vector<std::string>& into, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (std::find(into.begin(), into.end(), name) == into.end()) into.push_back(name);
  }
}

// One path's value stated by several flows: the first statement wins, a different one is an error.
void agree(Stated<std::string>& into, const Stated<std::string>& stated, std::string_view what, const std::string& path,
           const std::string& flow_id, Diagnostics& diag) {
  if (!stated.value) return;
  if (into.value && *into.value != *stated.value) {
    diag.error(stated.location, "flow '" + flow_id + "': " + std::string(what) + " '" + *stated.value + "' of " + path +
                                    " differs from '" + *into.value + "' stated at " + into.location.str());
    return;
  }
  if (!into.value) into = stated;
}

// What the flows on one path said, before it becomes a SoapService.
struct PathParts {
  Stated<std::string> namespace_uri, service, wsdl_file;
  std::shared_ptr<const std::string> wsdl_text;
  struct Served {
    const OperationSpec* op;
    const SoapSourceSpec* spec;
    const Flow* flow;
  };
  std::vector<Served> operations;
};

}  // namespace

const SoapOperation* SoapService::find(std::string_view action, std::string_view element) const {
  if (!action.empty()) {
    for (const auto& op : operations) {
      if (op.action == action) return &op;
    }
    const auto cut = action.find_last_of("/#");
    const std::string_view last = cut == std::string_view::npos ? action : action.substr(cut + 1);
    for (const auto& op : operations) {
      if (op.name == last) return &op;
    }
  }
  for (const auto& op : operations) {
    if (op.name == element) return &op;
  }
  return nullptr;
}

const SoapService* SoapServices::find(std::string_view path) const {
  for (const auto& service : services) {
    if (service.path == path) return &service;
  }
  return nullptr;
}

std::optional<SoapServices> make_soap_services(std::span<const Flow* const> flows, Diagnostics& diag) {
  const std::size_t errors_before = diag.errors().size();
  SoapServices served;
  std::map<std::string, PathParts> paths;
  std::vector<std::string> path_order;
  for (const Flow* flow : flows) {
    const auto& spec = static_cast<const SoapSourceSpec&>(*flow->source);
    auto [it, fresh] = paths.try_emplace(spec.path);
    if (fresh) path_order.push_back(spec.path);
    PathParts& parts = it->second;
    agree(parts.namespace_uri, spec.namespace_uri, "namespace", spec.path, flow->id, diag);
    agree(parts.service, spec.service, "service", spec.path, flow->id, diag);
    const bool had_wsdl = parts.wsdl_file.value.has_value();
    agree(parts.wsdl_file, spec.wsdl_file, "wsdl", spec.path, flow->id, diag);
    if (!had_wsdl && parts.wsdl_file.value) parts.wsdl_text = spec.wsdl_text;
    for (const auto& op : spec.operations) {
      for (const auto& other : parts.operations) {
        if (other.op->name == op.name) {
          diag.error(op.location, "flow '" + flow->id + "': operation " + op.name + " on " + spec.path +
                                      " is already served by flow '" + other.flow->id + "' (" +
                                      other.op->location.str() + ")");
        }
      }
      parts.operations.push_back({&op, &spec, flow});
    }
  }

  for (const auto& path : path_order) {
    PathParts& parts = paths[path];
    SoapService service;
    service.path = path;
    service.wsdl_file = parts.wsdl_text;
    service.description.namespace_uri = parts.namespace_uri.value.value_or(std::string(default_namespace));
    service.description.name = parts.service.value.value_or(service_name_from_path(path));
    for (const auto& served : parts.operations) {
      const OperationSpec& op = *served.op;
      SoapOperation operation;
      operation.name = op.name;
      operation.action = op.action.value_or(default_action(service.description.namespace_uri, op.name));
      operation.flow = served.flow;
      for (const auto& other : service.operations) {
        if (other.action == operation.action && other.name != operation.name) {
          diag.error(op.location, "operation " + op.name + " on " + path + " has the SOAPAction '" + operation.action +
                                      "' of operation " + other.name);
        }
      }
      ReplyShape shape{
          op.name, service.description.namespace_uri, op.results, op.nested, op.cdata, op.arrays, served.spec->charset};
      operation.reply_codecs[0] = std::make_shared<SoapReplyCodec>(Version::v1_1, shape);
      operation.reply_codecs[1] = std::make_shared<SoapReplyCodec>(Version::v1_2, std::move(shape));
      service.operations.push_back(std::move(operation));

      add_all(service.read_options.nested, op.nested);
      add_all(service.read_options.arrays, op.arrays);
      service.description.operations.push_back(
          WsdlOperation{op.name, service.operations.back().action,
                        op.params.empty() ? std::vector<std::string>{"input"} : op.params, op.results});
    }
    served.services.push_back(std::move(service));
  }
  served.paths = std::move(path_order);
  if (diag.errors().size() != errors_before) return std::nullopt;
  return served;
}

}  // namespace qiao::soap
