#pragma once
// The one line app/plugins.cpp calls to make the "hl7v2-xml" codec available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::hl7xml {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::hl7xml
