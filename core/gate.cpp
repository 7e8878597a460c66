#include "core/gate.hpp"

#include <vector>

namespace qiao {

Gate::Watch::Watch(Gate& gate, std::function<void(Event)> on_event) : gate_(gate) {
  std::lock_guard lock(gate_.mutex_);
  entry_ = gate_.watches_.insert(gate_.watches_.end(), std::move(on_event));
}

Gate::Watch::~Watch() {
  std::lock_guard lock(gate_.mutex_);
  gate_.watches_.erase(entry_);
}

void Gate::release() {
  // Only a closing gate has a waiter; counting alone stays lock-free on the request path. Both
  // atomics are sequentially consistent, so a waiter that closed the gate sees this decrement.
  if (count_.fetch_sub(1) == 1 && closing_.load()) {
    std::lock_guard lock(mutex_);
    idle_.notify_all();
  }
}

void Gate::tell(Event event) {
  std::lock_guard lock(mutex_);
  for (const auto& on_event : watches_) on_event(event);
}

void Gate::close() {
  closing_.store(true);
  tell(Event::closing);
}

bool Gate::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return idle_.wait_until(lock, deadline, [this] { return count_.load() == 0; });
}

void Gate::expire() { tell(Event::drain_expired); }

}  // namespace qiao
