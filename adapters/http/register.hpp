#pragma once

#include "core/registry.hpp"

namespace qiao::http {

// Adds the `http` source and the `http` endpoint.
Status register_plugins(Plugins& plugins);

}  // namespace qiao::http
