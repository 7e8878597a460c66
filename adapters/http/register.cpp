#include "adapters/http/register.hpp"

#include "adapters/http/client/http_endpoint.hpp"
#include "adapters/http/server/http_listener_kind.hpp"
#include "adapters/http/server/http_source.hpp"
#include "core/endpoint.hpp"
#include "core/source.hpp"

namespace qiao::http {

Status register_plugins(Plugins& plugins) {
  if (auto added = plugins.sources.add(make_http_source_kind()); !added) return added;
  if (auto added = plugins.listeners.add(make_http_listener_kind()); !added) return added;
  return plugins.endpoints.add(make_http_endpoint_kind());
}

}  // namespace qiao::http
