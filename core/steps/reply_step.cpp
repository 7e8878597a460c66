// `reply` answers the sender now and ends the flow; a flow's own `reply:` block is the same
// thing, taken when no step replied.

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/steps/step_kinds.hpp"

namespace qiao {

namespace {

constexpr ConfigKey reply_keys[] = {
    {"status", KeyType::integer, "200", "status in the source's protocol (HTTP status for HTTP sources)"},
    {"lua", KeyType::string, "", "Lua returning the body (and optionally a table of headers)"},
    {"body", KeyType::any, "", "a literal body"},
    {"headers", KeyType::mapping, "", "fixed reply headers"},
    {"encode", KeyType::any, "", "codec of the reply, \"kind:options\" or { kind: { options } }; default: the flow's"},
};

class ReplyStep final : public Step {
 public:
  explicit ReplyStep(ReplySpec spec) : spec_(std::move(spec)) {}

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    auto reply = co_await make_reply(spec_, run);
    if (!reply) co_return std::move(reply).error();
    run.reply = std::move(*reply);
    co_return StepResult::replied;
  }

 private:
  ReplySpec spec_;
};

class ReplyStepKind final : public StepKind {
 public:
  std::string_view name() const override { return "reply"; }
  std::string_view description() const override { return "answers the sender and ends the flow"; }
  std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const override {
    return std::make_unique<ReplyStep>(parse_reply_spec(value, builder));
  }
};

}  // namespace

ReplySpec parse_reply_spec(const ConfigNode& node, FlowBuilder& builder) {
  Diagnostics& diag = builder.diagnostics();
  ConfigReader reader(node, reply_keys, diag, "reply");
  ReplySpec spec;
  const auto status = reader.integer("status");
  if (status < 100 || status > 999) diag.error(reader.node("status")->location(), "reply: status must be 100..999");
  spec.status = static_cast<int>(status);
  if (auto lua = reader.node("lua")) spec.lua = builder.lua(*lua, LuaChunkKind::block);
  if (auto body = reader.node("body")) spec.body = body->to_value();
  if (spec.lua && spec.body) diag.error(node.location(), "reply: give lua or body, not both");
  if (auto headers = reader.node("headers")) {
    for (const auto& [name, value] : headers->entries()) spec.headers.set(name.scalar(), Value(value.scalar()));
  }
  if (auto encode = reader.node("encode")) spec.codec = builder.codec(*encode);
  return spec;
}

boost::asio::awaitable<Expected<Reply>> make_reply(const ReplySpec& spec, FlowRun& run) {
  Reply reply;
  reply.status = spec.status;
  reply.headers = spec.headers;
  reply.codec = spec.codec;
  if (spec.lua) {
    auto outcome = co_await run.lua(*spec.lua);
    if (!outcome) co_return std::move(outcome).error();
    if (outcome->reply) co_return std::move(*outcome->reply);
    if (!outcome->values.empty()) reply.body = std::move(outcome->values[0]);
    if (outcome->values.size() > 1 && outcome->values[1].is_object()) {
      for (auto& [name, value] : outcome->values[1].as_object()) {
        if (value.is_string()) reply.headers.set(name, std::move(value));
      }
    }
  } else if (spec.body) {
    reply.body = *spec.body;
  } else {
    reply.body = run.msg.body;
  }
  co_return reply;
}

std::unique_ptr<StepKind> make_reply_step_kind() { return std::make_unique<ReplyStepKind>(); }

}  // namespace qiao
