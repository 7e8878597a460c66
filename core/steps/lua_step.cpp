// `lua: |` runs a script; returning qiao.reply(...) ends the flow with that reply.

#include "core/config/config_node.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/steps/step_kinds.hpp"

namespace qiao {

namespace {

class LuaStep final : public Step {
 public:
  explicit LuaStep(LuaChunkId chunk) : chunk_(chunk) {}

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    auto outcome = co_await run.lua(chunk_);
    if (!outcome) co_return std::move(outcome).error();
    if (outcome->reply) {
      run.reply = std::move(outcome->reply);
      co_return StepResult::replied;
    }
    co_return StepResult::next;
  }

 private:
  LuaChunkId chunk_;
};

class LuaStepKind final : public StepKind {
 public:
  std::string_view name() const override { return "lua"; }
  std::string_view description() const override {
    return "runs Lua with msg, body and vars in scope; return qiao.reply(status, body) to answer at once";
  }
  std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const override {
    return std::make_unique<LuaStep>(builder.lua(value, LuaChunkKind::block));
  }
};

}  // namespace

std::unique_ptr<StepKind> make_lua_step_kind() { return std::make_unique<LuaStepKind>(); }

}  // namespace qiao
