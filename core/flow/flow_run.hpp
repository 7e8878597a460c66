#pragma once
// The state of one message going through one flow: what steps read and write.

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/flow/reply.hpp"
#include "core/flow/step.hpp"
#include "core/lua/lua_worker.hpp"
#include "core/message.hpp"
#include "core/store/deliveries.hpp"

namespace qiao {

class Flow;
class Generation;

class FlowRun {
 public:
  FlowRun(Message& message, const Flow& flow, const Generation& generation)
      : msg(message), flow(flow), generation(generation) {}

  Message& msg;
  const Flow& flow;
  const Generation& generation;
  std::optional<Reply> reply;
  LuaMessageTable lua_message;
  // Queued by `send` steps; stored when the flow has succeeded, before the sender is answered.
  std::vector<Delivery> deliveries;

  // Calls a named endpoint from this worker (its pool, its connections).
  boost::asio::awaitable<Expected<CallResponse>> call(std::string_view endpoint, CallRequest request);
  // Runs Lua on this worker's state of the message's generation.
  boost::asio::awaitable<Expected<LuaOutcome>> lua(LuaChunkId chunk);
};

// Runs steps in order until one replies or fails.
boost::asio::awaitable<Expected<StepResult>> run_steps(const Steps& steps, FlowRun& run);

}  // namespace qiao
