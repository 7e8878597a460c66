#pragma once
// What shutdown knows of the work in progress. A request or message being handled holds a Pass;
// a connection registers a Watch to hear what shutdown decides. Stopping closes the gate (idle
// connections end at once; busy ones finish what they do and do not take another request), waits
// without polling until no pass is out or the drain timeout passed, and at that timeout expires
// the gate: a request still running is answered that the gateway stopped, and journaled, rather
// than cut off.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>

namespace qiao {

class Gate {
 public:
  enum class Event { closing, drain_expired };

  class Pass {
   public:
    explicit Pass(Gate* gate) : gate_(gate) { gate_->count_.fetch_add(1); }
    Pass(Pass&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    Pass& operator=(Pass&&) = delete;
    ~Pass() {
      if (gate_) gate_->release();
    }

   private:
    Gate* gate_;
  };

  // Calls `on_event` for each event while it lives, on the thread that stops the gateway: the
  // callback hands the event to its connection's own thread.
  class Watch {
   public:
    Watch(Gate& gate, std::function<void(Event)> on_event);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    Gate& gate_;
    std::list<std::function<void(Event)>>::iterator entry_;
  };

  Pass enter() { return Pass(this); }
  std::int64_t open() const { return count_.load(); }
  bool closing() const { return closing_.load(); }

  void close();
  // Waits until no pass is out, or `deadline`; true when none is.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);
  void expire();

 private:
  void release();
  void tell(Event event);

  std::atomic<std::int64_t> count_{0};
  std::atomic<bool> closing_{false};
  std::mutex mutex_;
  std::condition_variable idle_;
  std::list<std::function<void(Event)>> watches_;
};

}  // namespace qiao
