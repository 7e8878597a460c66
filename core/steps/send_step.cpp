// `send` hands a message to an endpoint one way. With `queue: persistent` (the default) the
// delivery is stored durably when the flow succeeds, before the sender hears back, and the
// gateway delivers it from the queue (core/delivery): retries with backoff, dead letters for
// what the peer refuses or what runs out of attempts, FIFO per `order_by` key. With
// `queue: none` the request goes out during the step and a failure fails the flow.
//
// Stored at the end rather than during the step: a flow that fails after its `send` answers
// the sender with an error, and a delivery of a message the sender was told failed (and will
// send again) would be a duplicate.

#include <optional>
#include <string>

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/steps/endpoint_request.hpp"
#include "core/steps/queued_delivery.hpp"
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
    QueuedDelivery::order_by_key,
    QueuedDelivery::retry_key,
};

class SendStep final : public Step {
 public:
  EndpointRequest request;
  bool persistent = true;
  QueuedDelivery queued;

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    auto built = co_await request.build(run);
    if (!built) co_return std::move(built).error();
    if (!*built) co_return StepResult::replied;
    if (!persistent) {
      auto response = co_await run.call(request.endpoint, std::move(**built));
      if (!response) co_return std::move(response).error();
      co_return StepResult::next;
    }
    auto key = co_await queued.order_key(run);
    if (!key) co_return std::move(key).error();
    queued.stage(run, request.endpoint, **built, *key);
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
    step->queued.parse(reader, builder);
    if (!step->persistent && step->queued.configured(reader)) {
      diag.error(value.location(), "send: retry and order_by need queue: persistent");
    }
    return step;
  }
};

}  // namespace

std::unique_ptr<StepKind> make_send_step_kind() { return std::make_unique<SendStepKind>(); }

}  // namespace qiao
