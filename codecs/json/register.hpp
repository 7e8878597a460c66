#pragma once
// The one line app/plugins.cpp calls to make the "json" codec available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::json {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::json
