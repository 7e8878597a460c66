#pragma once
// The sink in front of the system log's sinks that says how many lines a full queue cost. Its
// own file so that a test can drive it with a thread pool and a stalled sink of its own.

#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/dist_sink.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace qiao::log {

// Runs on the logging thread and forwards every line to `sinks`. The async logger in front of it
// overruns its oldest line instead of blocking the worker that logs (a worker waiting on a slow
// disk or a stalled terminal stops answering messages). Once the logging thread has caught up
// (`pool`'s queue under half of `capacity`), the next line is preceded by one warning, "N log
// lines dropped: …", for the lines lost since the last such warning.
class DropReportingSink final : public spdlog::sinks::dist_sink<std::mutex> {
 public:
  // `pool` must outlive the sink's use, which it does: only the pool's own thread writes to it.
  DropReportingSink(std::vector<spdlog::sink_ptr> sinks, spdlog::details::thread_pool& pool, std::size_t capacity);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;

 private:
  // Not owned: a sink that owned its pool could drop the last reference to it on the pool's own
  // thread (the last queued line holds the logger, which holds this sink), whose destructor would
  // then join that very thread and abort the process.
  spdlog::details::thread_pool& pool_;
  const std::size_t capacity_;
  std::size_t reported_ = 0;  // guarded by the sink's mutex
};

}  // namespace qiao::log
