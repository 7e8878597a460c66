#pragma once
// Flows run through the engine into a real SqliteStore, for the journal's tests: levels, business
// keys, back-pressure. Several flows (flows/NAME.yaml), a qiao.yaml default level, messages run on
// an io_context in the test thread.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codecs/json/register.hpp"
#include "core/engine.hpp"
#include "core/generation.hpp"
#include "core/metrics.hpp"
#include "core/steps/core_steps.hpp"
#include "core/store/sqlite_store.hpp"
#include "tests/unit/core/flow_harness.hpp"

namespace journal_test {

using namespace qiao;

inline const Plugins& plugins() {
  static const Plugins p = [] {
    Plugins plugins;
    (void)register_core_steps(plugins);
    (void)json::register_plugins(plugins);
    flow_test::add_fake_source(plugins);
    return plugins;
  }();
  return p;
}

class Renderer final : public ErrorRenderer {
 public:
  void render(const Error& error, Outcome& outcome) const override {
    outcome.status = is_sender_fault(error.kind) ? 400 : 500;
    outcome.body = std::string(error_kind_name(error.kind)) + ": " + error.message;
  }
};

struct Gateway {
  flow_test::Scratch scratch;
  Metrics metrics;
  std::unique_ptr<Store> store;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<Generation> gen;
  Diagnostics diag;
  Renderer renderer;

  // `flows`: file name (without .yaml) → its text. `store` null: an in-memory one.
  explicit Gateway(const std::map<std::string, std::string>& flows, JournalLevel default_level = JournalLevel::full,
                   std::unique_ptr<Store> given_store = nullptr)
      : store(std::move(given_store)) {
    if (!store) store = std::move(SqliteStore::open_memory()).value();
    engine = std::make_unique<Engine>(metrics, store.get());
    for (const auto& [name, text] : flows) scratch.write("flows/" + name + ".yaml", text);
    ServerConfig config;
    config.file = (scratch.dir / "qiao.yaml").string();
    config.base_dir = scratch.dir.string();
    config.flow_patterns = {(scratch.dir / "flows/*.yaml").string()};
    config.journal_level = default_level;
    gen = Generation::build(plugins(), config, 1, &metrics, diag);
  }

  // Runs each (flow id, body) as its own message "<flow>-<index>", all spawned at once.
  // `beside`: spawns more work on the same worker, run with the messages.
  std::vector<Outcome> run(const std::vector<std::pair<std::string, std::string>>& messages,
                           const std::function<void(boost::asio::io_context&)>& beside = {}) {
    boost::asio::io_context io;
    set_current_worker(Worker{0, &io});
    if (beside) beside(io);
    std::vector<Outcome> outcomes(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
      Message msg;
      msg.id = messages[i].first + "-" + std::to_string(i);
      msg.trace_id = msg.id;
      msg.raw = make_buffer(messages[i].second);
      const Flow* flow = gen->flow(messages[i].first);
      REQUIRE(flow != nullptr);
      boost::asio::co_spawn(io, engine->process(gen, *flow, std::move(msg), renderer),
                            [&outcomes, i](std::exception_ptr e, Outcome o) {
                              if (e) std::rethrow_exception(e);
                              outcomes[i] = std::move(o);
                            });
    }
    io.run();
    store->flush();
    return outcomes;
  }

  std::vector<JournalEntry> rows(JournalQuery query = {}) {
    auto found = store->search(query);
    REQUIRE(found.has_value());
    return std::move(found).value();
  }

  std::optional<JournalEntry> row(const std::string& id) {
    JournalQuery query;
    query.message_id = id;
    auto found = rows(query);
    if (found.empty()) return std::nullopt;
    return found.front();
  }
};

// A flow file: id, a fake source of its own, JSON in and out, then `rest`.
inline std::string flow(const std::string& id, const std::string& rest = "") {
  return "id: " + id + "\nsource:\n  fake: { name: " + id + " }\n  decode: json\n" + rest;
}

}  // namespace journal_test
