#pragma once
// Idempotency keys as the store keeps them: a flow with `idempotency:` claims its message's key
// before it runs and afterwards remembers the answer it gave, so a repeat of the key within the
// ttl gets that answer again instead of a second run (a payment charged once). The claim is a
// row, so gateway nodes sharing a store see each other's.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace qiao {

// What the first message with a key was answered, byte for byte.
struct IdempotencyAnswer {
  std::string message_id;  // the message that ran the flow
  int status = 0;
  std::string content_type;
  std::string headers;  // encode_request's bytes of {headers}: every header as it was
  std::string body;
};

struct IdempotencyClaim {
  std::string flow_id;
  std::string key;
  std::string message_id;
  std::chrono::system_clock::time_point now;
  std::chrono::system_clock::time_point expires_at;  // now + ttl: the answer is remembered until then
  // A claim still unanswered after this long is taken over: the run that made it died (a
  // crash, kill -9) before it could answer, so its sender was never told yes.
  std::chrono::milliseconds lease{0};
};

struct IdempotencyClaimResult {
  enum class State {
    claimed,   // this message holds the key now: run the flow
    pending,   // another message holds it and has not answered yet
    answered,  // the key's answer, to give again
  };
  State state = State::claimed;
  std::string holder;  // pending, answered: the message that holds the key
  std::optional<IdempotencyAnswer> answer;
};

// After the flow: `answer` is remembered until the claim's expiry, or, when none, the claim is
// released so that a repeat runs the flow again (the flow failed in a way a retry may cure).
struct IdempotencySettle {
  std::string flow_id;
  std::string key;
  std::string message_id;  // only the claim this message holds is settled
  std::optional<IdempotencyAnswer> answer;
};

// Called on the store's own thread once durable (or failed): post to your own executor.
using IdempotencyClaimed = std::function<void(Expected<IdempotencyClaimResult>)>;

}  // namespace qiao
