// `call` sends a request to a named endpoint and waits for its reply, which lands in
// vars[into]. With `on_error: continue` a failure lands there instead, as
// { error = { code = "timeout", message = "…" } }, for a later route to act on.

#include <optional>
#include <string>

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/steps/endpoint_request.hpp"
#include "core/steps/step_kinds.hpp"

namespace qiao {

namespace {

constexpr ConfigKey call_keys[] = {
    EndpointRequest::endpoint_key,
    EndpointRequest::operation_key,
    EndpointRequest::lua_key,
    EndpointRequest::headers_key,
    {"into", KeyType::string, "", "name of the var the reply lands in; default: the endpoint's name"},
    {"on_error", KeyType::string, "fail",
     "fail: the message fails with the call's error; continue: the error lands in the var"},
};

class CallStep final : public Step {
 public:
  EndpointRequest request;
  std::string into;
  bool continue_on_error = false;

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    auto built = co_await request.build(run);
    if (!built) co_return std::move(built).error();
    if (!*built) co_return StepResult::replied;
    auto response = co_await run.call(request.endpoint, std::move(**built));
    if (response) {
      run.msg.vars.set(into, std::move(response->body));
      co_return StepResult::next;
    }
    if (!continue_on_error) {
      co_return std::move(response).error();
    }
    run.note_step(std::string(error_kind_name(response.error().kind)),
                  "on_error: continue, the error is in vars." + into + ": " + response.error().message);
    Object error{{"code", Value(std::string(error_kind_name(response.error().kind)))},
                 {"message", Value(response.error().message)}};
    if (const auto& detail = response.error().detail) {
      for (const auto& [name, value] : *detail) error.set(name, value);
    }
    run.msg.vars.set(into, Value(Object{{"error", Value(std::move(error))}}));
    co_return StepResult::next;
  }
};

class CallStepKind final : public StepKind {
 public:
  std::string_view name() const override { return "call"; }
  std::string_view description() const override {
    return "calls an endpoint and puts its reply in vars (request-reply; the message waits, the thread does not)";
  }
  std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const override {
    Diagnostics& diag = builder.diagnostics();
    ConfigReader reader(value, call_keys, diag, "call");
    auto step = std::make_unique<CallStep>();
    step->request.parse(reader, builder);
    step->into = reader.has("into") ? reader.string("into") : reader.string("endpoint");
    const std::string on_error = reader.string("on_error");
    if (on_error != "fail" && on_error != "continue") {
      diag.error(reader.node("on_error")->location(), "call: on_error must be fail or continue");
    }
    step->continue_on_error = on_error == "continue";
    return step;
  }
};

}  // namespace

std::unique_ptr<StepKind> make_call_step_kind() { return std::make_unique<CallStepKind>(); }

}  // namespace qiao
