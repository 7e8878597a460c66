#pragma once
// Called at start (the folder's qiao_register_plugin line) to make the "json" codec available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::json {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::json
