#pragma once
// What `send` and `publish` share when they queue: the retry policy and order key they read, and
// the Delivery they stage on the FlowRun (stored by the engine once the flow succeeded).

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "core/config/schema.hpp"
#include "core/endpoint.hpp"
#include "core/lua/lua_program.hpp"
#include "core/store/deliveries.hpp"

namespace qiao {

class ConfigReader;
class FlowBuilder;
class FlowRun;

class QueuedDelivery {
 public:
  static constexpr ConfigKey order_by_key{
      "order_by", KeyType::string, "",
      "Lua expression giving the order key: deliveries with one key arrive in order, different keys in parallel "
      "(default: one order for all)"};
  static constexpr ConfigKey retry_key{"retry", KeyType::mapping, "", "attempts, backoff, max_backoff, jitter"};

  void parse(const ConfigReader& reader, FlowBuilder& builder);
  bool configured(const ConfigReader& reader) const;  // order_by or retry given

  // The order key for this message (evaluated once, shared by every target).
  boost::asio::awaitable<Expected<std::string>> order_key(FlowRun& run) const;
  // Stages a delivery of `request` to `endpoint` on the run.
  void stage(FlowRun& run, const std::string& endpoint, const CallRequest& request, const std::string& key) const;

 private:
  std::optional<LuaChunkId> order_by_;
  RetryPolicy retry_;
};

}  // namespace qiao
