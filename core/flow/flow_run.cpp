#include "core/flow/flow_run.hpp"

#include "core/generation.hpp"

namespace qiao {

boost::asio::awaitable<Expected<CallResponse>> FlowRun::call(std::string_view endpoint_name, CallRequest request) {
  Endpoint* endpoint = generation.endpoint(endpoint_name);
  if (!endpoint) {
    co_return make_error(ErrorKind::flow, "unknown endpoint '" + std::string(endpoint_name) + "'");
  }
  co_return co_await endpoint->call(std::move(request));
}

boost::asio::awaitable<Expected<LuaOutcome>> FlowRun::lua(LuaChunkId chunk) {
  co_return co_await generation.lua().run(chunk, *this);
}

boost::asio::awaitable<Expected<StepResult>> run_steps(const Steps& steps, FlowRun& run) {
  for (const auto& step : steps) {
    auto result = co_await step->run(run);
    if (!result || *result == StepResult::replied) co_return result;
  }
  co_return StepResult::next;
}

}  // namespace qiao
