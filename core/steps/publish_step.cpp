// `publish` fans one message out to several endpoints: each target is its own queued delivery
// (its own retries, dead letters and order), so a slow PACS does not hold back the LIS. Like a
// persistent `send`, the deliveries are stored when the flow succeeds, before the sender is
// answered. A target is an endpoint name (the message body goes) or a mapping with the keys of
// `send` that shape the request (endpoint, lua, headers, operation); order_by and retry apply to
// every target.

#include <set>
#include <string>
#include <vector>

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/steps/endpoint_request.hpp"
#include "core/steps/queued_delivery.hpp"
#include "core/steps/step_kinds.hpp"

namespace qiao {

namespace {

constexpr ConfigKey publish_keys[] = {
    {"to", KeyType::sequence, "", "the targets: endpoint names, or { endpoint, lua, headers, operation }", true},
    QueuedDelivery::order_by_key,
    QueuedDelivery::retry_key,
};

constexpr ConfigKey target_keys[] = {
    EndpointRequest::endpoint_key,
    EndpointRequest::operation_key,
    EndpointRequest::lua_key,
    EndpointRequest::headers_key,
};

class PublishStep final : public Step {
 public:
  std::vector<EndpointRequest> targets;
  QueuedDelivery queued;

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    auto key = co_await queued.order_key(run);
    if (!key) co_return std::move(key).error();
    for (const EndpointRequest& target : targets) {
      auto built = co_await target.build(run);
      if (!built) co_return std::move(built).error();
      if (!*built) co_return StepResult::replied;
      queued.stage(run, target.endpoint, **built, *key);
    }
    co_return StepResult::next;
  }
};

class PublishStepKind final : public StepKind {
 public:
  std::string_view name() const override { return "publish"; }
  std::string_view description() const override {
    return "fans a message out to several endpoints, each its own durable queued delivery";
  }
  std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const override {
    Diagnostics& diag = builder.diagnostics();
    ConfigReader reader(value, publish_keys, diag, "publish");
    auto step = std::make_unique<PublishStep>();
    step->queued.parse(reader, builder);
    auto to = reader.node("to");
    if (!to) return step;
    std::set<std::string> seen;
    for (const ConfigNode& item : to->items()) {
      EndpointRequest target;
      if (item.is_scalar()) {
        target.parse_name(item, builder);
      } else {
        ConfigReader target_reader(item, target_keys, diag, "publish: to");
        target.parse(target_reader, builder);
      }
      if (!target.endpoint.empty() && !seen.insert(target.endpoint).second) {
        diag.error(item.location(), "publish: '" + target.endpoint + "' is a target twice");
      }
      step->targets.push_back(std::move(target));
    }
    if (step->targets.empty()) diag.error(to->location(), "publish: to names no target");
    return step;
  }
};

}  // namespace

std::unique_ptr<StepKind> make_publish_step_kind() { return std::make_unique<PublishStepKind>(); }

}  // namespace qiao
