#pragma once

#include "core/registry.hpp"

namespace qiao::soap {

// Adds the `soap` source and the `soap` endpoint.
Status register_plugins(Plugins& plugins);

}  // namespace qiao::soap
