// The system log never blocks the thread that logs: with its queue full the oldest lines are
// dropped and counted, and once the logging thread has caught up one line says how many.

#include "core/log_drops.hpp"

#include <spdlog/async_logger.h>
#include <spdlog/sinks/base_sink.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace {

// Holds the logging thread in its first line until released, as a stalled disk or terminal
// would, and keeps every line it is given.
class StallingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool wait_stalled(std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_mutex_);
    return changed_.wait_for(lock, timeout, [&] { return stalled_; });
  }
  void release() {
    {
      std::lock_guard lock(state_mutex_);
      released_ = true;
    }
    changed_.notify_all();
  }
  bool wait_lines(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_mutex_);
    return changed_.wait_for(lock, timeout, [&] { return lines_.size() >= count; });
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(state_mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::unique_lock lock(state_mutex_);
    if (!stalled_) {
      stalled_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
    changed_.notify_all();
  }
  void flush_() override {}

 private:
  std::mutex state_mutex_;
  std::condition_variable changed_;
  bool stalled_ = false;
  bool released_ = false;
  std::vector<std::string> lines_;
};

}  // namespace

TEST_CASE("system log: a full queue drops its oldest lines instead of blocking, and says how many once", "[log]") {
  constexpr std::size_t capacity = 4;
  auto pool = std::make_shared<spdlog::details::thread_pool>(capacity, 1);
  auto stalling = std::make_shared<StallingSink>();
  auto reporting =
      std::make_shared<qiao::log::DropReportingSink>(std::vector<spdlog::sink_ptr>{stalling}, *pool, capacity);
  auto logger =
      std::make_shared<spdlog::async_logger>("system", reporting, pool, spdlog::async_overflow_policy::overrun_oldest);
  logger->set_pattern("%v");

  logger->info("first");
  REQUIRE(stalling->wait_stalled(std::chrono::seconds(10)));
  // The logging thread is stuck in "first": ten more lines fill the queue of four and overrun
  // six, and every call returns (a blocking log would hang this test).
  for (int i = 0; i < 10; ++i) logger->info("line {}", i);
  CHECK(pool->overrun_counter() == 6);

  stalling->release();
  REQUIRE(stalling->wait_lines(6, std::chrono::seconds(10)));
  // The report comes once the queue is under half full again, before the line that finds it so.
  const std::vector<std::string> expected{
      "first", "line 6", "line 7", "6 log lines dropped: the system log's queue was full", "line 8", "line 9"};
  CHECK(stalling->lines() == expected);

  // Nothing more lost, nothing more reported.
  logger->info("after");
  REQUIRE(stalling->wait_lines(7, std::chrono::seconds(10)));
  CHECK(stalling->lines().back() == "after");
  CHECK(stalling->lines().size() == 7);
}
