#include <iostream>

#include "app/commands.hpp"
#include "app/plugins.hpp"
#include "core/codec.hpp"
#include "core/endpoint.hpp"
#include "core/flow/step.hpp"
#include "core/generation.hpp"
#include "core/source.hpp"

namespace qiao {

int command_check(const std::string& config_path) {
  Diagnostics diag;
  ServerConfig config = load_server_config(config_path, diag);
  std::shared_ptr<Generation> gen;
  if (diag.ok()) gen = Generation::build(all_plugins(), config, 1, nullptr, diag);
  if (!diag.ok()) {
    std::cerr << diag.text();
    std::cerr << diag.errors().size() << " error(s)\n";
    return 1;
  }
  std::cout << config_path << ": ok, " << gen->flows().size() << " flow(s), " << gen->endpoint_specs().size()
            << " endpoint(s)\n";
  for (const auto& flow : gen->flows()) std::cout << "  flow " << flow->id << ": " << flow->source->describe() << "\n";
  for (const auto& [name, spec] : gen->endpoint_specs())
    std::cout << "  endpoint " << name << ": " << spec->describe() << "\n";
  for (const auto& [key, binding] : gen->listeners()) {
    const ListenerConnections connections = binding.plan->connections();
    std::cout << "  listener " << key << ": max_connections " << connections.max_connections
              << (connections.set_at ? "" : " (default)") << "\n";
  }
  return 0;
}

int command_describe() {
  const Plugins& plugins = all_plugins();
  for (const auto& [name, kind] : plugins.sources.all()) {
    std::cout << describe_schema("source " + name + ": " + std::string(kind->description()), kind->schema()) << "\n";
  }
  for (const auto& [name, kind] : plugins.endpoints.all()) {
    std::cout << describe_schema("endpoint " + name + ": " + std::string(kind->description()), kind->schema()) << "\n";
  }
  for (const auto& [name, kind] : plugins.codecs.all()) {
    std::string title = "codec " + name + ": " + std::string(kind->description());
    if (!kind->argument_key().empty()) title += " (" + name + ":VALUE sets " + std::string(kind->argument_key()) + ")";
    std::cout << describe_schema(title, kind->schema()) << "\n";
  }
  for (const auto& [name, kind] : plugins.steps.all())
    std::cout << "step " << name << ": " << kind->description() << "\n";
  std::cout << "\n";
  for (const auto& [name, library] : plugins.lua_libraries.all()) {
    std::cout << "lua library " << name << ": " << library->description() << "\n";
  }
  return 0;
}

}  // namespace qiao
