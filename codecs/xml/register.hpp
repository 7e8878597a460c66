#pragma once
// The one line app/plugins.cpp calls to make the "xml" codec available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::xml {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::xml
