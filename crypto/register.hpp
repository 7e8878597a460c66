#pragma once
// The one line app/plugins.cpp calls to make the Lua library `mac` available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::crypto {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::crypto
