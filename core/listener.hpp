#pragma once
// A listener binds an address and hands what arrives there to the flows whose sources name it: a
// kind of its own (http, tcp), apart from the sources, which only parse a flow's `source:` block.
// A source says which listener kind serves it and where; flows naming the same kind and address
// share one listener (http routes and soap services on one port), planned by that kind alone.
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

#include "core/config/diagnostics.hpp"
#include "core/error.hpp"

namespace qiao {

class Flow;
class Host;

// The listener a source takes its messages from: a registered listener kind and an address.
struct ListenerAddress {
  std::string kind;     // "http"
  std::string address;  // "0.0.0.0:8080"
  // How generations, the admin API and logs name the listener: "http 0.0.0.0:8080".
  std::string key() const { return kind + " " + address; }
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

class ListenerKind {
 public:
  virtual ~ListenerKind() = default;
  virtual std::string_view name() const = 0;
  // Builds the plan for one listener from every flow whose source names it (the sources a kind
  // serves are its adapter's to define: each kind documents what its flows' specs are), reporting
  // conflicts (two flows on one path, different TLS settings on one address) to `diag`.
  virtual std::shared_ptr<const ListenerPlan> plan(std::string_view key, std::span<const Flow* const> flows,
                                                   Diagnostics& diag) const = 0;
  // Binds the listener (called off the workers, before the generation goes live).
  virtual Expected<std::unique_ptr<Listener>> open(std::string_view key, const ListenerPlan& plan,
                                                   Host& host) const = 0;
};

}  // namespace qiao
