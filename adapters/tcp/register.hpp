#pragma once

#include "core/registry.hpp"

namespace qiao::tcp {

// Adds the `tcp` source, its listener and the `tcp` endpoint.
Status register_plugins(Plugins& plugins);

}  // namespace qiao::tcp
