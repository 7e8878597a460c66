#pragma once
// Queued deliveries as the store keeps them: what `send` hands over, durably, for the gateway to
// deliver later, with every attempt; a delivery that will never succeed stays as a dead letter
// until an operator replays or discards it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace qiao {

struct RetryPolicy {
  int attempts = 10;                        // in all, the first included
  std::chrono::milliseconds backoff{1000};  // before the second attempt; doubles after each
  std::chrono::milliseconds max_backoff{300'000};
  bool jitter = true;  // each wait drawn from [half, all] of it
};

// delivered: only in what Store::message_deliveries reads back from the journal; a delivered
// delivery leaves the queue.
enum class DeliveryState { queued, dead, delivered };

struct DeliveryAttempt {
  int number = 0;  // 1, 2, … over the delivery's whole life
  std::chrono::system_clock::time_point started_at;
  // Unset when the gateway stopped (a crash, kill -9) after the request may have gone out and
  // before an answer: the peer may have the message twice.
  std::optional<std::chrono::system_clock::time_point> finished_at;
  std::string outcome;  // "ok", an error kind name, or "interrupted"
  std::string error;
};

struct Delivery {
  std::int64_t id = 0;     // assigned by the store, increasing: the order of the queue
  std::string endpoint;    // the queue: deliveries to one endpoint, by its name
  std::string order_key;   // FIFO among deliveries with the same key; "" is a key too
  std::string message_id;  // the message whose flow sent it
  std::string flow_id;
  std::string request;  // encode_request's bytes; empty when not loaded (DeliveryQuery::with_requests)
  RetryPolicy retry;
  DeliveryState state = DeliveryState::queued;
  int attempts = 0;        // started since it was queued or last replayed: what the retry policy counts
  int total_attempts = 0;  // started over its whole life, replays included
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point next_attempt_at;
  std::string last_error;
  // An attempt started before the last restart has no outcome: the peer may have received it.
  bool interrupted = false;
  std::vector<DeliveryAttempt> history;  // filled when DeliveryQuery::with_history
  // Queued and held by this node: it attempts the delivery. False for one whose key another node
  // sharing the store holds (that node delivers it, after the key's older deliveries), or that no
  // node holds yet (a replay; Store::claim_deliveries hands it to the key's holder). Set by
  // enqueue, settle and reads; always true in SQLite, whose one process holds every queued row.
  bool held = true;
  std::optional<std::chrono::system_clock::time_point> delivered_at;  // DeliveryState::delivered
};

struct DeliveryQuery {
  std::optional<std::string> endpoint;
  std::optional<DeliveryState> state;
  std::vector<std::int64_t> ids;                               // empty: any
  std::optional<std::chrono::system_clock::time_point> since;  // created_at, inclusive
  std::optional<std::chrono::system_clock::time_point> until;  // created_at, exclusive
  std::optional<std::string> error_contains;                   // in last_error
  std::optional<std::string> message_id;                       // the deliveries of one message
  std::size_t limit = 100;                                     // 0: no limit
  bool with_requests = false;
  bool with_history = false;
};

// One step in a queued delivery's life, applied by the store in the order given.
struct DeliveryChange {
  enum class Kind {
    started,      // an attempt begins: durable before the request goes out
    delivered,    // the peer took it: the delivery and its attempts are removed
    retry_later,  // the attempt failed; the next one is due at next_attempt_at
    dead,         // the attempt failed for good: kept as a dead letter
    interrupted,  // at start: the unfinished attempt of a previous run gets this outcome
    replay,       // a dead letter is queued again, with a fresh retry budget
    discard,      // a dead letter is removed
  };
  Kind kind = Kind::started;
  std::int64_t id = 0;
  int attempt = 0;  // started: attempts after this one starts; total_attempt is its number
  int total_attempt = 0;
  std::chrono::system_clock::time_point at;               // when it happened
  std::chrono::system_clock::time_point next_attempt_at;  // retry_later, replay
  std::string outcome;                                    // finished attempts: "ok" or an error kind name
  std::string error;
};

// What Store::claim_deliveries did for this node.
struct DeliveryClaim {
  // Queued deliveries held by this node from now on, not handed to it before; oldest first,
  // without requests (read them back when due). `interrupted` marks an attempt begun by a node
  // that stopped (crashed, or was taken over) before its outcome.
  std::vector<Delivery> deliveries;
  std::uint64_t taken_over = 0;        // of those, how many a node whose lease had expired held
  std::uint64_t nodes_taken_over = 0;  // nodes whose lease expired and whose keys this node took
  // This node's own lease had expired before the claim renewed it (the database was out of reach,
  // the process stalled): other nodes may hold its keys now. Forget every delivery held before
  // (those in flight finish); `deliveries` is what this node holds from now on.
  bool lease_lapsed = false;
  // When other processes may share the queues: the lease, counted from when the claim was asked,
  // after which this node must start no attempt until a later claim renewed it; and how often to
  // claim (renewals, and deliveries other nodes queued for this node's keys). None: this process
  // alone holds the queues (SQLite), and no later claim hands anything over.
  std::optional<std::chrono::milliseconds> lease;
  std::optional<std::chrono::milliseconds> claim_every;
};

// Called on the store's own thread once the changes are durable (or failed to be): post to your
// own executor, do not work there.
using DeliveriesStored = std::function<void(Expected<std::vector<Delivery>>)>;
using ChangesStored = std::function<void(Status)>;
using DeliveriesClaimed = std::function<void(Expected<DeliveryClaim>)>;

}  // namespace qiao
