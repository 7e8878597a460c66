#include "adapters/soap/register.hpp"

#include "adapters/soap/client/soap_endpoint.hpp"
#include "adapters/soap/source/soap_source.hpp"
#include "core/endpoint.hpp"
#include "core/source.hpp"

namespace qiao::soap {

Status register_plugins(Plugins& plugins) {
  if (auto added = plugins.sources.add(make_soap_source_kind()); !added) return added;
  return plugins.endpoints.add(make_soap_endpoint_kind());
}

}  // namespace qiao::soap
