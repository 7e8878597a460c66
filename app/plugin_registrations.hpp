#pragma once
// The registration function of every plugin this build includes, in the order the build added
// them: generated from plugin_registrations.cpp.in by app/CMakeLists.txt out of the plugins'
// qiao_register_plugin lines (cmake/QiaoPlugins.cmake), so adding a plugin touches no file here.

#include <span>

#include "core/registry.hpp"

namespace qiao {

using PluginRegistration = Status (*)(Plugins&);

std::span<const PluginRegistration> plugin_registrations();

}  // namespace qiao
