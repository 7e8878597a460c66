#pragma once
// The one line app/plugins.cpp calls to make the "fixed" codec available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::fixed {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::fixed
