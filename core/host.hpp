#pragma once
// What the running gateway offers to sources: the current generation, the engine, the threads,
// and a gate that shutdown waits on.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace qiao {

class Engine;
class Generation;

// Counts work in progress (connections, messages) so shutdown can wait for it to finish.
class Gate {
 public:
  class Pass {
   public:
    explicit Pass(Gate* gate) : gate_(gate) { gate_->count_.fetch_add(1, std::memory_order_relaxed); }
    Pass(Pass&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    Pass& operator=(Pass&&) = delete;
    ~Pass() {
      if (gate_) gate_->count_.fetch_sub(1, std::memory_order_release);
    }

   private:
    Gate* gate_;
  };

  Pass enter() { return Pass(this); }
  std::int64_t open() const { return count_.load(std::memory_order_acquire); }
  bool closing() const { return closing_.load(std::memory_order_acquire); }
  void close() { closing_.store(true, std::memory_order_release); }

 private:
  std::atomic<std::int64_t> count_{0};
  std::atomic<bool> closing_{false};
};

class Host {
 public:
  virtual ~Host() = default;
  virtual std::shared_ptr<const Generation> generation() const = 0;
  virtual Engine& engine() = 0;
  // Where listeners accept; accepted connections then move to next_worker().
  virtual boost::asio::io_context& acceptor_context() = 0;
  virtual boost::asio::io_context& next_worker() = 0;
  virtual Gate& gate() = 0;
};

}  // namespace qiao
