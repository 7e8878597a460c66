#pragma once
// The one line app/plugins.cpp calls to make the "delimited" codec available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::delimited {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::delimited
