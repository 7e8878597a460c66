#include "core/delivery/delivery_queues.hpp"

#include <algorithm>

namespace qiao {

void DeliveryQueues::keep_request_within_budget(Delivery& delivery) {
  if (request_bytes_ + delivery.request.size() > budget_) {
    std::string().swap(delivery.request);
    return;
  }
  request_bytes_ += delivery.request.size();
}

void DeliveryQueues::schedule_head(EndpointQueue& queue, const std::string& key, KeyQueue& keyed) {
  if (keyed.busy || keyed.waiting.empty()) return;
  const Delivery& head = keyed.waiting.front();
  queue.due.emplace(head.next_attempt_at, head.id, key);
}

void DeliveryQueues::add(Delivery delivery) {
  if (!ids_.insert(delivery.id).second) return;
  keep_request_within_budget(delivery);
  EndpointQueue& queue = endpoints_[delivery.endpoint];
  ++queue.depth;
  const std::string key = delivery.order_key;
  KeyQueue& keyed = queue.keys[key];
  // The head's slot in `due` is keyed by its id: a replayed older delivery that becomes the new
  // head replaces it.
  if (!keyed.busy && !keyed.waiting.empty()) {
    const Delivery& head = keyed.waiting.front();
    queue.due.erase({head.next_attempt_at, head.id, key});
  }
  auto at = std::upper_bound(keyed.waiting.begin(), keyed.waiting.end(), delivery.id,
                             [](std::int64_t id, const Delivery& d) { return id < d.id; });
  keyed.waiting.insert(at, std::move(delivery));
  schedule_head(queue, key, keyed);
}

Delivery* DeliveryQueues::in_flight(std::int64_t id) {
  auto it = in_flight_.find(id);
  return it == in_flight_.end() ? nullptr : &it->second;
}

std::size_t DeliveryQueues::forget_all_but(const std::set<std::int64_t>& keep) {
  std::size_t forgotten = 0;
  for (auto& [endpoint, queue] : endpoints_) {
    for (auto key_it = queue.keys.begin(); key_it != queue.keys.end();) {
      const std::string& key = key_it->first;
      KeyQueue& keyed = key_it->second;
      if (!keyed.busy && !keyed.waiting.empty()) {
        const Delivery& head = keyed.waiting.front();
        queue.due.erase({head.next_attempt_at, head.id, key});
      }
      std::deque<Delivery> kept;
      for (Delivery& d : keyed.waiting) {
        if (keep.count(d.id)) {
          kept.push_back(std::move(d));
          continue;
        }
        request_bytes_ -= std::min(request_bytes_, d.request.size());
        ids_.erase(d.id);
        --queue.depth;
        ++forgotten;
      }
      keyed.waiting = std::move(kept);
      if (keyed.waiting.empty() && !keyed.busy) {
        key_it = queue.keys.erase(key_it);
        continue;
      }
      schedule_head(queue, key, keyed);
      ++key_it;
    }
  }
  for (const auto& [id, d] : in_flight_) {
    if (keep.count(id)) continue;
    forgotten_in_flight_.insert(id);
    ++forgotten;
  }
  return forgotten;
}

void DeliveryQueues::finish(std::int64_t id, bool done, Clock::time_point retry_at) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  if (forgotten_in_flight_.erase(id) > 0) done = true;
  Delivery delivery = std::move(it->second);
  in_flight_.erase(it);
  auto queue_it = endpoints_.find(delivery.endpoint);
  if (queue_it == endpoints_.end()) return;
  EndpointQueue& queue = queue_it->second;
  --queue.in_flight;
  const std::string key = delivery.order_key;
  KeyQueue& keyed = queue.keys.at(key);
  keyed.busy = false;
  if (done) {
    request_bytes_ -= std::min(request_bytes_, delivery.request.size());
    ids_.erase(delivery.id);
    --queue.depth;
  } else {
    // Back in id order rather than at the front: an older delivery replayed during this
    // attempt is waiting there, and goes first as it would have had it been queued all along.
    delivery.next_attempt_at = retry_at;
    auto at = std::upper_bound(keyed.waiting.begin(), keyed.waiting.end(), delivery.id,
                               [](std::int64_t id, const Delivery& d) { return id < d.id; });
    keyed.waiting.insert(at, std::move(delivery));
  }
  if (keyed.waiting.empty()) {
    queue.keys.erase(key);
  } else {
    schedule_head(queue, key, keyed);
  }
}

std::optional<DeliveryQueues::Clock::time_point> DeliveryQueues::next_due() const {
  std::optional<Clock::time_point> next;
  for (const auto& [endpoint, queue] : endpoints_) {
    // A head due while its endpoint has no free slot (full, or held at max_in_flight 0) starts
    // when a slot frees, not at a time: counting it would hide the due times of the others.
    if (queue.due.empty() || queue.in_flight >= queue.limit) continue;
    const auto due = std::get<0>(*queue.due.begin());
    if (!next || due < *next) next = due;
  }
  return next;
}

std::vector<QueueStats> DeliveryQueues::stats() const {
  std::vector<QueueStats> out;
  for (const auto& [endpoint, queue] : endpoints_) {
    QueueStats s;
    s.endpoint = endpoint;
    s.depth = queue.depth;
    s.in_flight = queue.in_flight;
    out.push_back(std::move(s));
  }
  // Ids grow with time, so the oldest of an endpoint is its smallest id; one pass over the ids
  // would need the endpoint of each, so look at each key's head and the in-flight ones instead.
  for (QueueStats& s : out) {
    const EndpointQueue& queue = endpoints_.at(s.endpoint);
    auto consider = [&](const Delivery& d) {
      if (!s.oldest || d.created_at < *s.oldest) s.oldest = d.created_at;
    };
    for (const auto& [key, keyed] : queue.keys)
      if (!keyed.waiting.empty()) consider(keyed.waiting.front());
  }
  for (const auto& [id, d] : in_flight_) {
    for (QueueStats& s : out)
      if (s.endpoint == d.endpoint && (!s.oldest || d.created_at < *s.oldest)) s.oldest = d.created_at;
  }
  return out;
}

}  // namespace qiao
