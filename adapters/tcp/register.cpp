#include "adapters/tcp/register.hpp"

#include "adapters/tcp/source/tcp_source.hpp"
#include "core/source.hpp"

namespace qiao::tcp {

Status register_plugins(Plugins& plugins) {
  return plugins.sources.add(make_tcp_source_kind());
}

}  // namespace qiao::tcp
