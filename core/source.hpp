#pragma once
// A source is where messages come in (HTTP server, MLLP listener, Kafka consumer …): its kind
// parses a flow's `source:` block into a spec that names the listener serving it
// (core/listener.hpp), which plans and opens the socket.

#include <memory>
#include <string>
#include <string_view>

#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/listener.hpp"

namespace qiao {

// One flow's source block, parsed by its kind.
class SourceSpec {
 public:
  virtual ~SourceSpec() = default;
  // The listener kind that serves this source and its address; flows naming the same one share
  // a listener.
  virtual ListenerAddress listener() const = 0;
  // For /api/flows and logs, e.g. "http POST 0.0.0.0:8080/api/registration".
  virtual std::string describe() const = 0;
};

class SourceKind {
 public:
  virtual ~SourceKind() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  virtual Schema schema() const = 0;
  // `config` is the kind's block (the value of `http:` under `source:`); nullptr on errors.
  virtual std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const = 0;
};

}  // namespace qiao
