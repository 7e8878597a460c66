#include "core/steps/queued_delivery.hpp"

#include <algorithm>

#include "core/delivery/request_bytes.hpp"
#include "core/flow/flow.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"

namespace qiao {

namespace {

constexpr ConfigKey retry_keys[] = {
    {"attempts", KeyType::integer, "10", "attempts in all, the first included; then a dead letter"},
    {"backoff", KeyType::duration, "1s", "wait before the second attempt; doubles after each failure"},
    {"max_backoff", KeyType::duration, "5m", "longest wait between attempts"},
    {"jitter", KeyType::boolean, "true", "draw each wait from [half, all] of it, so retries of many messages spread"},
};

}  // namespace

void QueuedDelivery::parse(const ConfigReader& reader, FlowBuilder& builder) {
  Diagnostics& diag = builder.diagnostics();
  if (auto order_by = reader.node("order_by")) order_by_ = builder.lua(*order_by, LuaChunkKind::expression);
  auto retry = reader.node("retry");
  if (!retry) return;
  ConfigReader r(*retry, retry_keys, diag, "retry");
  const auto attempts = r.integer("attempts");
  if (attempts < 1 || attempts > 1'000'000) diag.error(r.node("attempts")->location(), "attempts: expected 1..1000000");
  retry_.attempts = static_cast<int>(std::clamp<std::int64_t>(attempts, 1, 1'000'000));
  retry_.backoff = r.duration("backoff");
  retry_.max_backoff = r.duration("max_backoff");
  retry_.jitter = r.boolean("jitter");
  if (retry_.max_backoff < retry_.backoff) {
    diag.error(r.node("max_backoff") ? r.node("max_backoff")->location() : retry->location(),
               "max_backoff is shorter than backoff");
  }
}

bool QueuedDelivery::configured(const ConfigReader& reader) const {
  return reader.has("retry") || reader.has("order_by");
}

boost::asio::awaitable<Expected<std::string>> QueuedDelivery::order_key(FlowRun& run) const {
  if (!order_by_) co_return std::string();
  auto key = co_await run.lua(*order_by_);
  if (!key) co_return std::move(key).error();
  co_return key->values.empty() ? std::string() : key_text(key->values[0]);
}

void QueuedDelivery::stage(FlowRun& run, const std::string& endpoint, const CallRequest& request,
                           const std::string& key) const {
  Delivery delivery;
  delivery.endpoint = endpoint;
  delivery.order_key = key;
  delivery.message_id = run.msg.id;
  delivery.flow_id = run.flow.id;
  delivery.request = encode_request(request);
  delivery.retry = retry_;
  delivery.created_at = std::chrono::system_clock::now();
  delivery.next_attempt_at = delivery.created_at;
  run.deliveries.push_back(std::move(delivery));
}

}  // namespace qiao
