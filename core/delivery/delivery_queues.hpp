#pragma once
// The in-memory side of the persistent queues: which queued deliveries may start now. One queue
// per endpoint; within it, FIFO per order key (a patient's ADTs in the order they came), keys
// in parallel up to the endpoint's max_in_flight, the oldest due key first. Not thread-safe:
// DeliveryService calls it under its mutex. The store has the durable copy; this is an index.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/store/deliveries.hpp"

namespace qiao {

struct QueueStats {
  std::string endpoint;
  std::size_t depth = 0;  // queued, in flight included
  std::size_t in_flight = 0;
  std::optional<std::chrono::system_clock::time_point> oldest;  // created_at of the oldest queued
};

class DeliveryQueues {
 public:
  using Clock = std::chrono::system_clock;

  // Requests beyond this many bytes in memory are left in the store and read back when their
  // turn comes, so a long outage of a peer costs disk, not memory.
  explicit DeliveryQueues(std::size_t request_memory_budget = 32u << 20) : budget_(request_memory_budget) {}

  // Takes a delivery into its key's FIFO, in id order. Drops its request from memory when over
  // the budget (Delivery::request then empty).
  void add(Delivery delivery);
  // The deliveries that may start at `now`, moved to in flight: per endpoint at most
  // `max_in_flight(endpoint)` at once, at most one per key. `max_in_flight` returns 0 for an
  // endpoint that cannot take deliveries now (not configured), whose queue then waits.
  template <class MaxInFlight>
  std::vector<Delivery*> start_due(Clock::time_point now, MaxInFlight&& max_in_flight);
  // The outcome of an in-flight delivery. done: it leaves the queue (delivered or dead);
  // otherwise it goes back to the head of its key, due at `retry_at`.
  void finish(std::int64_t id, bool done, Clock::time_point retry_at = {});
  // An in-flight delivery by id; nullptr when none.
  Delivery* in_flight(std::int64_t id);
  // Lets go of every delivery but those in `keep`: waiting ones leave now, in-flight ones when
  // they finish, whatever their outcome (another node holds them now). Returns how many.
  std::size_t forget_all_but(const std::set<std::int64_t>& keep);
  // When the next delivery is due that a free slot could start; none when nothing waits. An
  // endpoint that had no free slot at the last start_due (full, or max_in_flight 0) does not
  // count: its next start follows a finish or a reload, which call start_due again.
  std::optional<Clock::time_point> next_due() const;
  bool contains(std::int64_t id) const { return ids_.count(id) > 0; }
  std::size_t size() const { return ids_.size(); }
  std::size_t in_flight_count() const { return in_flight_.size(); }
  std::vector<QueueStats> stats() const;

 private:
  struct KeyQueue {
    std::deque<Delivery> waiting;  // in id order
    bool busy = false;             // its head is in flight
  };
  struct EndpointQueue {
    std::map<std::string, KeyQueue> keys;
    // (due, id, key) of each key's head that is not in flight: the order keys get a slot.
    std::set<std::tuple<Clock::time_point, std::int64_t, std::string>> due;
    std::size_t in_flight = 0;
    std::size_t depth = 0;
    // max_in_flight as start_due last saw it; unknown (any) until then.
    std::size_t limit = static_cast<std::size_t>(-1);
  };
  void schedule_head(EndpointQueue& queue, const std::string& key, KeyQueue& keyed);
  void keep_request_within_budget(Delivery& delivery);

  std::map<std::string, EndpointQueue> endpoints_;
  std::map<std::int64_t, Delivery> in_flight_;
  std::set<std::int64_t> ids_;                  // every delivery held
  std::set<std::int64_t> forgotten_in_flight_;  // in flight, to leave when they finish (forget_all_but)
  std::size_t budget_;
  std::size_t request_bytes_ = 0;
};

template <class MaxInFlight>
std::vector<Delivery*> DeliveryQueues::start_due(Clock::time_point now, MaxInFlight&& max_in_flight) {
  std::vector<Delivery*> started;
  for (auto& [endpoint, queue] : endpoints_) {
    if (queue.due.empty()) continue;
    const std::size_t limit = max_in_flight(endpoint);
    queue.limit = limit;
    while (queue.in_flight < limit && !queue.due.empty() && std::get<0>(*queue.due.begin()) <= now) {
      auto [due, id, key] = *queue.due.begin();
      queue.due.erase(queue.due.begin());
      KeyQueue& keyed = queue.keys.at(key);
      keyed.busy = true;
      ++queue.in_flight;
      auto [it, inserted] = in_flight_.emplace(id, std::move(keyed.waiting.front()));
      keyed.waiting.pop_front();
      started.push_back(&it->second);
    }
  }
  return started;
}

}  // namespace qiao
