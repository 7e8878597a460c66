#pragma once
// A generation is everything one load produced: flows, endpoints, codecs, compiled Lua and the
// listener plans. It is immutable once built and shared by pointer; a reload builds the next
// one beside it and swaps the pointer, and messages finish on the generation they began in.
// The only mutable parts are per-worker slots (Lua states, endpoint connection pools), each
// touched only by its own worker thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.hpp"
#include "core/endpoint.hpp"
#include "core/flow/flow.hpp"
#include "core/listener.hpp"
#include "core/lua/lua_program.hpp"
#include "core/lua/lua_worker.hpp"
#include "core/registry.hpp"
#include "core/server_config.hpp"
#include "core/source.hpp"

namespace qiao {

class Metrics;

struct ListenerBinding {
  std::string key;
  const ListenerKind* kind = nullptr;
  std::shared_ptr<const ListenerPlan> plan;
  std::vector<const Flow*> flows;
};

class Generation {
 public:
  // Loads and validates everything the server config names. Errors (all of them, as
  // file:line:col) are in `diag`, and then the result is null.
  static std::shared_ptr<Generation> build(const Plugins& plugins, const ServerConfig& config, std::uint64_t number,
                                           Metrics* metrics, Diagnostics& diag);
  ~Generation();

  std::uint64_t number() const { return number_; }
  std::chrono::system_clock::time_point loaded_at() const { return loaded_at_; }
  const ServerConfig& config() const { return config_; }

  const std::vector<std::unique_ptr<Flow>>& flows() const { return flows_; }
  const Flow* flow(std::string_view id) const;
  const std::map<std::string, ListenerBinding, std::less<>>& listeners() const { return listeners_; }
  const ListenerPlan* listener_plan(std::string_view key) const;
  const std::map<std::string, std::shared_ptr<const EndpointSpec>, std::less<>>& endpoint_specs() const {
    return endpoint_specs_;
  }

  // Per-worker objects, created on first use by the calling worker.
  void set_worker_count(std::size_t workers);
  Endpoint* endpoint(std::string_view name) const;
  LuaWorker& lua() const;
  // A codec the load built, by the name written for it ("iso8583:cup"): every name in decode:,
  // encode:, an endpoint's codec:, a flow's codecs: list and literal in its Lua. Read-only, so
  // workers share it without a lock; any other name is an error.
  Expected<std::shared_ptr<const Codec>> codec(std::string_view name) const;

 private:
  friend class GenerationBuilder;
  Generation() = default;

  struct WorkerSlot {
    std::unique_ptr<LuaWorker> lua;
    std::map<std::string, std::unique_ptr<Endpoint>, std::less<>> endpoints;
  };
  WorkerSlot& slot() const;

  std::uint64_t number_ = 0;
  std::chrono::system_clock::time_point loaded_at_;
  ServerConfig config_;
  const Plugins* plugins_ = nullptr;
  std::vector<std::unique_ptr<Flow>> flows_;
  std::map<std::string, ListenerBinding, std::less<>> listeners_;
  std::map<std::string, std::shared_ptr<const EndpointSpec>, std::less<>> endpoint_specs_;
  LuaProgram lua_program_;
  LuaLimits lua_limits_;

  std::map<std::string, std::shared_ptr<const Codec>, std::less<>> codecs_;  // filled by the load only
  mutable std::vector<WorkerSlot> slots_;
};

}  // namespace qiao
