#pragma once

#include "core/registry.hpp"

namespace qiao::tcp {

// Adds the `tcp` endpoint (and the `tcp` source).
Status register_plugins(Plugins& plugins);

}  // namespace qiao::tcp
