// Listeners are a kind of their own: a plugin adds a listener kind and the source kinds it serves
// with no change to core, flows naming one kind and address share one listener planned by that
// kind alone, and a source naming a listener kind the build lacks is a load error.

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/schema.hpp"
#include "core/flow/flow.hpp"
#include "core/generation.hpp"
#include "core/registry.hpp"
#include "tests/unit/core/flow_harness.hpp"

using namespace qiao;

namespace {

// What the probe listener kind was asked to plan: key → the ids of the flows it was given.
using Planned = std::map<std::string, std::vector<std::string>>;

class ProbePlan final : public ListenerPlan {
 public:
  ListenerConnections connections() const override { return {}; }
};

class ProbeListenerKind final : public ListenerKind {
 public:
  explicit ProbeListenerKind(Planned& planned) : planned_(planned) {}
  std::string_view name() const override { return "probe"; }
  std::shared_ptr<const ListenerPlan> plan(std::string_view key, std::span<const Flow* const> flows,
                                           Diagnostics&) const override {
    for (const Flow* flow : flows) planned_[std::string(key)].push_back(flow->id);
    return std::make_shared<ProbePlan>();
  }
  Expected<std::unique_ptr<Listener>> open(std::string_view, const ListenerPlan&, Host&) const override {
    return make_error(ErrorKind::internal, "nothing binds in unit tests");
  }

 private:
  Planned& planned_;
};

constexpr ConfigKey probe_source_keys[] = {
    {"at", KeyType::string, "", "address", true},
    {"listener", KeyType::string, "probe", "listener kind"},
};

class ProbeSourceSpec final : public SourceSpec {
 public:
  std::string listener_kind;
  std::string at;
  ListenerAddress listener() const override { return {listener_kind, at}; }
  std::string describe() const override { return "probe " + at; }
};

// Two source kinds of one listener kind, as http and soap share the http listener.
class ProbeSourceKind final : public SourceKind {
 public:
  explicit ProbeSourceKind(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  std::string_view description() const override { return "test source"; }
  Schema schema() const override { return probe_source_keys; }
  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    ConfigReader reader(config, probe_source_keys, diag, name_ + " source");
    auto spec = std::make_unique<ProbeSourceSpec>();
    spec->at = reader.string("at");
    spec->listener_kind = reader.string("listener");
    return spec;
  }

 private:
  std::string name_;
};

std::string flow(const std::string& id, const std::string& source) {
  return "id: " + id + "\nsource:\n  " + source + "\n";
}

// The probe listener kind and two source kinds that name it, as http and soap name the http listener.
Plugins probe_plugins(Planned& planned) {
  Plugins plugins;
  REQUIRE(plugins.listeners.add(std::make_unique<ProbeListenerKind>(planned)));
  REQUIRE(plugins.sources.add(std::make_unique<ProbeSourceKind>("probe-a")));
  REQUIRE(plugins.sources.add(std::make_unique<ProbeSourceKind>("probe-b")));
  return plugins;
}

}  // namespace

TEST_CASE("listener kinds: sources of two kinds on one address share the listener their kind plans", "[listener]") {
  Planned planned;
  const Plugins plugins = probe_plugins(planned);
  const auto loaded = flow_test::load_flows(plugins, {{"a.yaml", flow("a", "probe-a: { at: 'port-1' }")},
                                                      {"b.yaml", flow("b", "probe-b: { at: 'port-1' }")},
                                                      {"c.yaml", flow("c", "probe-a: { at: 'port-2' }")}});
  INFO(loaded.errors.size());
  REQUIRE(loaded.errors.empty());
  REQUIRE(loaded.generation);
  CHECK(planned == Planned{{"probe port-1", {"a", "b"}}, {"probe port-2", {"c"}}});
  const auto& listeners = loaded.generation->listeners();
  REQUIRE(listeners.size() == 2);
  CHECK(listeners.at("probe port-1").flows.size() == 2);
  CHECK(listeners.at("probe port-1").kind->name() == "probe");
  CHECK(loaded.generation->listener_plan("probe port-2") != nullptr);
}

TEST_CASE("listener kinds: a source naming a listener kind the build lacks fails the load at its flow", "[listener]") {
  Planned planned;
  const Plugins plugins = probe_plugins(planned);
  const auto loaded =
      flow_test::load_flows(plugins, {{"a.yaml", flow("a", "probe-a: { at: 'port-1', listener: udp }")}});
  CHECK_FALSE(loaded.generation);
  REQUIRE(loaded.errors.size() == 1);
  CHECK_THAT(loaded.errors.front(),
             Catch::Contains("flows/a.yaml:1:1: flow 'a': its probe-a source needs a udp listener, "
                             "which this build lacks"));
  CHECK(planned.empty());
}
