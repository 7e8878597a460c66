#pragma once
// A step is one action of a flow: run Lua, check input, call an endpoint, route, reply.
// StepKinds are looked up by name in the registry, like sources, endpoints and codecs.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace qiao {

class ConfigNode;
class FlowBuilder;
class FlowRun;

enum class StepResult {
  next,     // go on with the following step
  replied,  // the flow's reply is decided (FlowRun::reply is set); stop
};

class Step {
 public:
  virtual ~Step() = default;
  virtual boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const = 0;

  // What the journal calls the step: its kind, and the endpoint of one that has one ("call his");
  // and its line in the flow file. Set by the flow's builder.
  std::string label;
  int line = 0;
};

using Steps = std::vector<std::unique_ptr<Step>>;

class StepKind {
 public:
  virtual ~StepKind() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  // `value` is what follows the step's name (`check: {...}` → the mapping); nullptr on errors,
  // which go to builder.diagnostics() as file:line:col.
  virtual std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const = 0;
};

}  // namespace qiao
