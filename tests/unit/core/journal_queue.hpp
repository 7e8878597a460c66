#pragma once
// For tests that hold the store's writer on a lock: the writer takes its whole queue at once, and
// a test must know it has done so before it queues what is to stay queued.

#include <chrono>
#include <future>
#include <memory>

#include "core/store/store.hpp"

namespace journal_test {

// Call with the journal's queue at its bound (no room): returns once the writer has taken it,
// signalled by the store itself (when_journal_has_room), or false after `timeout`.
inline bool writer_took_queue(qiao::Store& store, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  if (store.journal_has_room()) return false;  // the signal would come at once, meaning nothing
  auto taken = std::make_shared<std::promise<void>>();
  auto future = taken->get_future();
  store.when_journal_has_room([taken] { taken->set_value(); });
  return future.wait_for(timeout) == std::future_status::ready;
}

}  // namespace journal_test
