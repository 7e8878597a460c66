// `send` hands a message to an endpoint one way. With `queue: persistent` (the default) the
// delivery is stored durably when the flow succeeds, before the sender hears back, and the
// gateway delivers it from the queue (core/delivery): retries with backoff, dead letters for
// what the peer refuses or what runs out of attempts, FIFO per `order_by` key. With
// `queue: none` the request goes out during the step and a failure fails the flow.
//
// Stored at the end rather than during the step: a flow that fails after its `send` answers
// the sender with an error, and a delivery of a message the sender was told failed (and will
// send again) would be a duplicate.

#include <algorithm>
#include <optional>
#include <string>

#include "core/config/schema.hpp"
#include "core/flow/flow.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/delivery/request_bytes.hpp"
#include "core/steps/endpoint_request.hpp"
#include "core/steps/step_kinds.hpp"

namespace qiao {

namespace {

constexpr ConfigKey send_keys[] = {
    EndpointRequest::endpoint_key,
    EndpointRequest::operation_key,
    EndpointRequest::lua_key,
    EndpointRequest::headers_key,
    {"queue", KeyType::string, "persistent",
     "persistent: stored, then delivered by the gateway with retries and dead letters; none: sent during the step"},
    {"order_by", KeyType::string, "",
     "Lua expression giving the order key: deliveries with one key arrive in order, different keys in parallel "
     "(default: one order for all)"},
    {"retry", KeyType::mapping, "", "attempts, backoff, max_backoff, jitter (queue: persistent)"},
};

constexpr ConfigKey retry_keys[] = {
    {"attempts", KeyType::integer, "10", "attempts in all, the first included; then a dead letter"},
    {"backoff", KeyType::duration, "1s", "wait before the second attempt; doubles after each failure"},
    {"max_backoff", KeyType::duration, "5m", "longest wait between attempts"},
    {"jitter", KeyType::boolean, "true", "draw each wait from [half, all] of it, so retries of many messages spread"},
};

std::string key_text(const Value& value) {
  switch (value.type()) {
    case Value::Type::null: return {};
    case Value::Type::string: return std::string(value.as_string());
    case Value::Type::integer: return std::to_string(value.as_int());
    case Value::Type::decimal: return value.as_decimal().text;
    case Value::Type::boolean: return value.as_bool() ? "true" : "false";
    default: return std::string(type_name(value.type()));
  }
}

class SendStep final : public Step {
 public:
  EndpointRequest request;
  bool persistent = true;
  std::optional<LuaChunkId> order_by;
  RetryPolicy retry;

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    auto built = co_await request.build(run);
    if (!built) co_return std::move(built).error();
    if (!*built) co_return StepResult::replied;
    if (!persistent) {
      auto response = co_await run.call(request.endpoint, std::move(**built));
      if (!response) co_return std::move(response).error();
      co_return StepResult::next;
    }
    Delivery delivery;
    if (order_by) {
      auto key = co_await run.lua(*order_by);
      if (!key) co_return std::move(key).error();
      if (!key->values.empty()) delivery.order_key = key_text(key->values[0]);
    }
    delivery.endpoint = request.endpoint;
    delivery.message_id = run.msg.id;
    delivery.flow_id = run.flow.id;
    delivery.request = encode_request(**built);
    delivery.retry = retry;
    delivery.created_at = std::chrono::system_clock::now();
    delivery.next_attempt_at = delivery.created_at;
    run.deliveries.push_back(std::move(delivery));
    co_return StepResult::next;
  }
};

class SendStepKind final : public StepKind {
 public:
  std::string_view name() const override { return "send"; }
  std::string_view description() const override {
    return "sends to an endpoint one way; queued durably by default and delivered with retries and dead letters";
  }
  std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const override {
    Diagnostics& diag = builder.diagnostics();
    ConfigReader reader(value, send_keys, diag, "send");
    auto step = std::make_unique<SendStep>();
    step->request.parse(reader, builder);
    const std::string queue = reader.string("queue");
    if (queue != "persistent" && queue != "none") {
      diag.error(reader.node("queue")->location(), "send: queue must be persistent or none");
    }
    step->persistent = queue != "none";
    if (auto order_by = reader.node("order_by")) step->order_by = builder.lua(*order_by, LuaChunkKind::expression);
    if (auto retry = reader.node("retry")) {
      ConfigReader r(*retry, retry_keys, diag, "send: retry");
      const auto attempts = r.integer("attempts");
      if (attempts < 1 || attempts > 1'000'000) diag.error(r.node("attempts")->location(), "attempts: expected 1..1000000");
      step->retry.attempts = static_cast<int>(std::clamp<std::int64_t>(attempts, 1, 1'000'000));
      step->retry.backoff = r.duration("backoff");
      step->retry.max_backoff = r.duration("max_backoff");
      step->retry.jitter = r.boolean("jitter");
      if (step->retry.max_backoff < step->retry.backoff)
        diag.error(r.node("max_backoff") ? r.node("max_backoff")->location() : retry->location(),
                   "max_backoff is shorter than backoff");
    }
    if (!step->persistent && (reader.has("retry") || reader.has("order_by"))) {
      diag.error(value.location(), "send: retry and order_by need queue: persistent");
    }
    return step;
  }
};

}  // namespace

std::unique_ptr<StepKind> make_send_step_kind() { return std::make_unique<SendStepKind>(); }

}  // namespace qiao
