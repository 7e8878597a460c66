#include "app/plugins.hpp"

#include <cstdio>
#include <cstdlib>

#include "app/plugin_registrations.hpp"
#include "core/steps/core_steps.hpp"

namespace qiao {

namespace {

void register_or_abort(PluginRegistration registration, Plugins& plugins) {
  if (auto added = registration(plugins); !added) {
    std::fprintf(stderr, "qiao: %s\n", added.error().message.c_str());
    std::abort();  // a duplicate name is a build mistake, not a runtime condition
  }
}

// Core's own steps, then every plugin the build includes (cmake/QiaoPlugins.cmake).
Plugins make_plugins() {
  Plugins plugins;
  register_or_abort(&register_core_steps, plugins);
  for (const PluginRegistration registration : plugin_registrations()) register_or_abort(registration, plugins);
  return plugins;
}

}  // namespace

const Plugins& all_plugins() {
  static const Plugins plugins = make_plugins();
  return plugins;
}

}  // namespace qiao
