#pragma once
// Called at start (the folder's qiao_register_plugin line) to make the "hl7v2-xml" codec available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::hl7xml {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::hl7xml
