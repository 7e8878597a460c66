#pragma once
// Called at start (the folder's qiao_register_plugin line) to make the Lua library `mac` available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::crypto {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::crypto
