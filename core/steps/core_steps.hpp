#pragma once
// The steps every flow can use: lua, check, call, route, reply.

#include "core/registry.hpp"

namespace qiao {

Status register_core_steps(Plugins& plugins);

}  // namespace qiao
