#pragma once
// A source is where messages come in (HTTP server, MLLP listener, Kafka consumer …).
//
// Listeners outlive generations: a reload keeps every listener whose key (kind + address) is
// still wanted, so no connection is refused while flows change. What a listener does with a
// request — routes, limits, TLS — comes from the current generation's ListenerPlan for its key,
// read afresh for every connection or message.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/config/schema.hpp"
#include "core/error.hpp"

namespace qiao {

class Flow;
class Host;

// One flow's source block, parsed by its kind.
class SourceSpec {
 public:
  virtual ~SourceSpec() = default;
  // Flows whose sources have equal keys share one listener, e.g. "http 0.0.0.0:8080"; the key's
  // first word names the kind that owns it.
  virtual std::string listener_key() const = 0;
  // For /api/flows and logs, e.g. "http POST 0.0.0.0:8080/api/registration".
  virtual std::string describe() const = 0;
};

// How many connections a listener may hold, and where the config set that (empty: a default),
// for the load-time check that all listeners fit the descriptor limit.
struct ListenerConnections {
  std::size_t max_connections = 0;
  std::optional<Location> set_at;
};

// Immutable per-generation state of one listener, built from the flows bound to it.
class ListenerPlan {
 public:
  virtual ~ListenerPlan() = default;
  virtual ListenerConnections connections() const = 0;
};

// A running listener (owns the socket). Lives across generations.
class Listener {
 public:
  virtual ~Listener() = default;
  virtual std::string address() const = 0;  // what it is bound to, with the real port
  // Stops accepting; open connections finish the message they are on, then close.
  virtual void stop() = 0;
};

class SourceKind {
 public:
  virtual ~SourceKind() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  virtual Schema schema() const = 0;
  // `config` is the kind's block (the value of `http:` under `source:`); nullptr on errors.
  virtual std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const = 0;
  // Whether flows of `other` may share a listener this kind owns: the kind a listener key begins
  // with plans and opens it (an "http <addr>" listener serves soap services by path beside the
  // http flows, so one port serves both).
  virtual bool hosts(const SourceKind& other) const { return &other == this; }
  // Builds the plan for one listener key from every flow bound to it, reporting conflicts
  // (two flows on one path, different TLS settings on one address) to `diag`.
  virtual std::shared_ptr<const ListenerPlan> plan(std::string_view key, std::span<const Flow* const> flows,
                                                   Diagnostics& diag) const = 0;
  // Binds the listener (called off the workers, before the generation goes live).
  virtual Expected<std::unique_ptr<Listener>> open(std::string_view key, const ListenerPlan& plan,
                                                   Host& host) const = 0;
};

}  // namespace qiao
