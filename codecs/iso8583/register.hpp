#pragma once
// Called at start (the folder's qiao_register_plugin line) to make the "iso8583" codec, the Lua library `iso8583` and
// the flow step `mac` available.

#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao::iso8583 {

Status register_plugins(Plugins& plugins);

}  // namespace qiao::iso8583
