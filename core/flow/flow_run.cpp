#include "core/flow/flow_run.hpp"

#include <chrono>
#include <cstdint>

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

void FlowRun::note_step(std::string outcome, std::string detail) {
  if (open_.empty() || open_.back() == SIZE_MAX) return;
  JournalStep& step = steps[open_.back()];
  step.outcome = std::move(outcome);
  step.detail = std::move(detail);
  noted_ = open_.back();
}

boost::asio::awaitable<Expected<StepResult>> run_steps(const Steps& steps, FlowRun& run) {
  for (const auto& step : steps) {
    const auto began = std::chrono::steady_clock::now();
    std::size_t index = SIZE_MAX;
    if (run.steps.size() < max_journal_steps) {
      index = run.steps.size();
      JournalStep& record = run.steps.emplace_back();
      record.step = step->label;
      record.line = step->line;
      record.depth = run.depth_;
      record.start_us = std::chrono::duration_cast<std::chrono::microseconds>(began - run.msg.started).count();
    }
    run.open_.push_back(index);
    ++run.depth_;
    auto result = co_await step->run(run);
    --run.depth_;
    run.open_.pop_back();
    if (index != SIZE_MAX) {
      JournalStep& record = run.steps[index];
      record.duration_us =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began).count();
      if (!result) {
        record.outcome = std::string(error_kind_name(result.error().kind));
        record.detail = result.error().message;
      } else if (run.noted_ != index) {
        record.outcome = *result == StepResult::replied ? "replied" : "ok";
      }
    }
    if (!result || *result == StepResult::replied) co_return result;
  }
  co_return StepResult::next;
}

}  // namespace qiao
