#pragma once
// Runs flows end to end without sockets, for the engine's tests and for plugins that add steps:
// flows built from YAML into a Generation with the plugins a test chooses, a fake source kind
// ("fake: { name: a }") and messages run on an io_context in the test thread.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/config/schema.hpp"
#include "core/engine.hpp"
#include "core/generation.hpp"
#include "core/metrics.hpp"
#include "core/registry.hpp"
#include "core/worker.hpp"

namespace flow_test {

using namespace qiao;

class FakeSourceSpec final : public SourceSpec {
 public:
  std::string name;
  ListenerAddress listener() const override { return {"fake", name}; }
  std::string describe() const override { return "fake " + name; }
};

inline constexpr ConfigKey fake_source_keys[] = {{"name", KeyType::string, "", "name", true}};

// Holds no connections: nothing listens in unit tests.
class FakeListenerPlan final : public ListenerPlan {
 public:
  ListenerConnections connections() const override { return {}; }
};

class FakeSourceKind final : public SourceKind {
 public:
  std::string_view name() const override { return "fake"; }
  std::string_view description() const override { return "test source"; }
  Schema schema() const override { return fake_source_keys; }
  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    ConfigReader reader(config, fake_source_keys, diag, "fake source");
    auto spec = std::make_unique<FakeSourceSpec>();
    spec->name = reader.string("name");
    return spec;
  }
};

class FakeListenerKind final : public ListenerKind {
 public:
  std::string_view name() const override { return "fake"; }
  std::shared_ptr<const ListenerPlan> plan(std::string_view, std::span<const Flow* const>,
                                           Diagnostics&) const override {
    return std::make_shared<FakeListenerPlan>();
  }
  Expected<std::unique_ptr<Listener>> open(std::string_view, const ListenerPlan&, Host&) const override {
    return make_error(ErrorKind::internal, "not in unit tests");
  }
};

// The fake source and the listener its flows name.
inline void add_fake_source(Plugins& plugins) {
  (void)plugins.sources.add(std::make_unique<FakeSourceKind>());
  (void)plugins.listeners.add(std::make_unique<FakeListenerKind>());
}

struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    dir = std::filesystem::temp_directory_path() / ("qiao-unit-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir / "flows");
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
};

// A generation built from flow files (name → YAML) and no endpoints, with its load errors.
struct LoadedFlows {
  std::shared_ptr<Generation> generation;
  std::vector<std::string> errors;
};

inline LoadedFlows load_flows(const Plugins& plugins, const std::map<std::string, std::string>& flows) {
  Scratch scratch;
  scratch.write("endpoints.yaml", "{}\n");
  for (const auto& [name, text] : flows) scratch.write("flows/" + name, text);
  ServerConfig config;
  config.file = (scratch.dir / "qiao.yaml").string();
  config.base_dir = scratch.dir.string();
  config.flow_patterns = {(scratch.dir / "flows/*.yaml").string()};
  config.endpoint_files = {(scratch.dir / "endpoints.yaml").string()};
  Metrics metrics;
  Diagnostics diag;
  LoadedFlows loaded;
  loaded.generation = Generation::build(plugins, config, 1, &metrics, diag);
  loaded.errors = diag.errors();
  return loaded;
}

// One flow (flows/flow.yaml) and an endpoints file; `base_dir` is where codec specs resolve from.
struct FlowHarness {
  Scratch scratch;
  Metrics metrics;
  Engine engine{metrics, nullptr};
  std::shared_ptr<Generation> gen;
  Diagnostics diag;
  const ErrorRenderer& renderer;

  FlowHarness(const Plugins& plugins, const std::string& endpoints, const std::string& flow,
              const ErrorRenderer& renderer, std::chrono::milliseconds lua_slice = std::chrono::milliseconds(2000),
              std::string base_dir = "")
      : renderer(renderer) {
    scratch.write("endpoints.yaml", endpoints);
    scratch.write("flows/flow.yaml", flow);
    ServerConfig config;
    config.file = (scratch.dir / "qiao.yaml").string();
    config.base_dir = base_dir.empty() ? scratch.dir.string() : base_dir;
    config.flow_patterns = {(scratch.dir / "flows/*.yaml").string()};
    config.endpoint_files = {(scratch.dir / "endpoints.yaml").string()};
    config.lua.time_slice = lua_slice;
    gen = Generation::build(plugins, config, 1, &metrics, diag);
  }

  std::vector<Outcome> run(const std::vector<std::string>& bodies) {
    boost::asio::io_context io;
    set_current_worker(Worker{0, &io});
    std::vector<Outcome> outcomes(bodies.size());
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      Message msg;
      msg.id = "m" + std::to_string(i);
      msg.trace_id = msg.id;
      msg.raw = make_buffer(bodies[i]);
      msg.headers.set("x-channel", Value("kiosk"));
      boost::asio::co_spawn(io, engine.process(gen, *gen->flows().front(), std::move(msg), renderer),
                            [&outcomes, i](std::exception_ptr e, Outcome o) {
                              if (e) std::rethrow_exception(e);
                              outcomes[i] = std::move(o);
                            });
    }
    io.run();
    return outcomes;
  }

  Outcome run(const std::string& body) { return run(std::vector<std::string>{body}).front(); }
};

}  // namespace flow_test
