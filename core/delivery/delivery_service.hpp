#pragma once
// Delivers what `send` queued: takes deliveries from the store into its in-memory queues, starts
// attempts on the workers (each attempt written to the store before its request goes out),
// retries with backoff, keeps what a peer refuses or what ran out of attempts as dead letters,
// and on start resumes everything a previous run left, noting attempts a crash interrupted.
// Its own thread makes the decisions and reads the store; the endpoints' calls run on workers.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/delivery/delivery_queues.hpp"
#include "core/error.hpp"
#include "core/store/deliveries.hpp"
#include "core/store/idempotency.hpp"

namespace qiao {

class Host;
class Store;

struct EndpointQueueStats {
  QueueStats queue;
  std::uint64_t delivered = 0;     // since start
  std::uint64_t retries = 0;       // failed attempts that will be tried again
  std::uint64_t dead_letters = 0;  // kept now
  std::uint64_t died = 0;          // became dead letters since start
  std::uint64_t interrupted = 0;   // attempts a restart cut short (possibly delivered twice)
};

// This node's part of queues it may share with other nodes (a PostgreSQL store), for /metrics.
struct QueueOwnershipStats {
  std::size_t held = 0;            // deliveries this node holds now (queued here, in flight included)
  std::uint64_t takeovers = 0;     // nodes whose lease expired and whose queue this node took, since start
  std::uint64_t taken_over = 0;    // deliveries those nodes held, since start
  std::uint64_t lease_lapses = 0;  // times this node's own lease expired before a renewal
};

// What replay and discard did, or (dry run) would do.
struct DeadLetterAction {
  std::vector<std::int64_t> ids;
  bool dry_run = false;
};

class DeliveryService {
 public:
  DeliveryService(Store& store, Host& host);
  ~DeliveryService();
  DeliveryService(const DeliveryService&) = delete;
  DeliveryService& operator=(const DeliveryService&) = delete;

  // Claims what the store holds queued for this node (Store::claim_deliveries), closes the
  // attempts a previous run left unfinished and starts delivering; then claims again as the
  // store says (a store shared by nodes: renewals of the lease, deliveries other nodes queued for
  // this node's keys, the queues of nodes that stopped). Call once, before the listeners open.
  Status start();
  // Starts no more attempts and waits for those in flight, until `deadline`.
  void stop_attempts(std::chrono::steady_clock::time_point deadline);
  // Stops claiming and, when no attempt is under way, gives this node's queue keys back to the
  // store for other nodes to take at once; waits for the store to have written everything asked
  // of it, then stops the thread. After the workers stopped: their io_contexts must still exist.
  void shutdown();
  // A reload may have added endpoints or changed their max_in_flight.
  void wake();

  // From a worker: stores the deliveries durably, then queues them; with `settle`, the message's
  // idempotency key is settled in the same transaction. An error means nothing was stored (the
  // disk is full, the database is gone); the sender must not be told otherwise.
  boost::asio::awaitable<Status> enqueue(std::vector<Delivery> deliveries,
                                         std::optional<IdempotencySettle> settle = std::nullopt);

  std::vector<EndpointQueueStats> stats() const;
  QueueOwnershipStats ownership() const;
  // Dead letters matching `query` (state is set to dead), with their attempts.
  Expected<std::vector<Delivery>> dead_letters(DeliveryQuery query) const;
  // Queues the matching dead letters again with a fresh retry budget, or removes them. Blocks
  // the caller until durable: not for workers.
  Expected<DeadLetterAction> replay(DeliveryQuery query, bool dry_run);
  Expected<DeadLetterAction> discard(DeliveryQuery query, bool dry_run);

  // The delay before attempt `failed_attempts + 1`: backoff doubled per failure, capped, with
  // jitter drawn from [half, all] of it.
  static std::chrono::milliseconds backoff(const RetryPolicy& retry, int failed_attempts, double jitter_draw);

 private:
  struct Thread;
  void pump();  // service thread: starts what is due, arms the timer
  void arm_timer();
  void attempts_recorded(std::vector<std::int64_t> ids, Status recorded);
  void finished(std::int64_t id, std::optional<Error> error);
  void store_changes(std::vector<DeliveryChange> changes);
  // Claims (service thread): one at a time; asked again at once when wanted while one runs.
  void claim_now();
  void claim_soon();  // from any thread
  void schedule_claim(std::chrono::milliseconds after);
  void claimed(Expected<DeliveryClaim> claim, std::chrono::steady_clock::time_point asked);
  Expected<DeliveryClaim> wait_for_claim();
  // Under mutex_: takes what a claim handed over into the queues; returns the changes that close
  // interrupted attempts among them.
  std::vector<DeliveryChange> take_claimed(DeliveryClaim& claim, std::chrono::steady_clock::time_point asked);
  Expected<std::vector<Delivery>> dead_rows(DeliveryQuery query) const;  // without requests or history
  Status wait_for_store(std::vector<DeliveryChange> changes);
  EndpointQueueStats& counters(const std::string& endpoint);

  Store& store_;
  Host& host_;
  std::unique_ptr<Thread> thread_;

  mutable std::mutex mutex_;  // queues_ and counters_; the service thread is the only writer of queues_
  std::condition_variable idle_cv_;
  DeliveryQueues queues_;
  std::map<std::string, EndpointQueueStats> counters_;
  bool stopping_ = false;
  std::mutex actions_mutex_;  // one replay or discard at a time

  // Under mutex_. No attempt starts past the deadline: the lease (from when the last successful
  // claim was asked) may have run out, and another node may hold these deliveries by then.
  std::optional<std::chrono::steady_clock::time_point> lease_deadline_;
  std::optional<std::chrono::milliseconds> claim_every_;  // none: this process alone holds the queues
  bool lease_wait_logged_ = false;
  QueueOwnershipStats ownership_;  // its counters; `held` is the queues' size
  // Service thread only.
  bool claim_running_ = false;
  bool claim_again_ = false;
  bool claims_stopped_ = false;
  bool claim_failing_ = false;
};

}  // namespace qiao
