#pragma once
// The state of one message going through one flow: what steps read and write.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/flow/reply.hpp"
#include "core/flow/step.hpp"
#include "core/lua/lua_worker.hpp"
#include "core/message.hpp"
#include "core/store/deliveries.hpp"
#include "core/store/store.hpp"

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
  // The steps as they ran, for the journal (run_steps keeps them).
  std::vector<JournalStep> steps;

  // A step that went on after a failure says so here (a `call` with on_error: continue): the
  // journal shows that outcome and detail instead of "ok".
  void note_step(std::string outcome, std::string detail);

  // Calls a named endpoint from this worker (its pool, its connections).
  boost::asio::awaitable<Expected<CallResponse>> call(std::string_view endpoint, CallRequest request);
  // Runs Lua on this worker's state of the message's generation.
  boost::asio::awaitable<Expected<LuaOutcome>> lua(LuaChunkId chunk);

 private:
  friend boost::asio::awaitable<Expected<StepResult>> run_steps(const Steps& steps, FlowRun& run);
  int depth_ = 0;                  // of the steps running now: 0 for the flow's own
  std::size_t noted_ = SIZE_MAX;   // the last record note_step changed
  std::vector<std::size_t> open_;  // records of the steps running now, outermost first (SIZE_MAX: not kept)
};

// Runs steps in order until one replies or fails, each one's outcome kept in run.steps.
boost::asio::awaitable<Expected<StepResult>> run_steps(const Steps& steps, FlowRun& run);

// Steps a message keeps in its journal row at most: a flow has no loops, so only routes nested
// deep could come near it.
inline constexpr std::size_t max_journal_steps = 256;

}  // namespace qiao
