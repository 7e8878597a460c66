#pragma once
// The state of one message going through one flow: what steps read and write.

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/flow/reply.hpp"
#include "core/flow/step.hpp"
#include "core/lua/lua_worker.hpp"
#include "core/message.hpp"

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

  // Calls a named endpoint from this worker (its pool, its connections).
  boost::asio::awaitable<Expected<CallResponse>> call(std::string_view endpoint, CallRequest request);
  // Runs Lua on this worker's state of the message's generation.
  boost::asio::awaitable<Expected<LuaOutcome>> lua(LuaChunkId chunk);
};

// Runs steps in order until one replies or fails.
boost::asio::awaitable<Expected<StepResult>> run_steps(const Steps& steps, FlowRun& run);

}  // namespace qiao
