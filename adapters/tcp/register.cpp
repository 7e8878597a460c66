#include "adapters/tcp/register.hpp"

#include "adapters/tcp/client/tcp_endpoint.hpp"
#include "adapters/tcp/source/tcp_listener_kind.hpp"
#include "adapters/tcp/source/tcp_source.hpp"
#include "core/endpoint.hpp"
#include "core/source.hpp"

namespace qiao::tcp {

Status register_plugins(Plugins& plugins) {
  if (auto added = plugins.sources.add(make_tcp_source_kind()); !added) return added;
  if (auto added = plugins.listeners.add(make_tcp_listener_kind()); !added) return added;
  return plugins.endpoints.add(make_tcp_endpoint_kind());
}

}  // namespace qiao::tcp
