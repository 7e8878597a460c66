#pragma once
// What SqliteStore and PostgresStore share: the intake that workers append to and the one writer
// thread that turns whatever has accumulated into a single transaction, since either database's
// cost is per commit (an fsync of the WAL, or a round trip and a WAL flush on the server), not per
// row. Payloads are cut to their limits on the caller's thread, before they enter the queue, so a
// burst of large messages never sits in it whole; once a burst is over the writer hands the memory
// it left behind back to the kernel. A store says how to write a batch, how to run a retention
// pass and what to do between batches; this class says when.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/store/queue_write.hpp"
#include "core/store/store.hpp"

namespace qiao {

class BatchedStore : public Store {
 public:
  void journal(JournalEntry entry) final;
  bool journal_has_room() const final;
  void when_journal_has_room(std::function<void()> ready) final;
  void flush() final;
  Expected<std::vector<std::string>> enforce_retention() final;
  std::uint64_t written() const final;
  std::uint64_t dropped() const final;

  void enqueue(std::vector<Delivery> deliveries, DeliveriesStored done) final;
  void change(std::vector<DeliveryChange> changes, ChangesStored done) final;
  void claim(IdempotencyClaim claim, IdempotencyClaimed done) final;
  void settle(IdempotencySettle settle, std::vector<Delivery> deliveries, DeliveriesStored done) final;

  // Why the most recent failed write failed; empty while every write has succeeded. Write
  // failures happen on the writer thread, where nobody is waiting for an Error.
  std::string last_write_error() const;

 protected:
  // `where` names the database in log lines; `waits_for` what intake waits for when the queue is
  // full ("the disk", "the database").
  BatchedStore(std::string where, std::string_view waits_for, std::size_t queue_capacity, const JournalLimits& limits);
  ~BatchedStore() override;

  // The writer uses the derived store's members: the derived store starts it once they exist and
  // stops it (which writes everything still queued) in its destructor, before they go.
  void start_writer();
  void stop_writer();

  void add_queue_write(QueueWrite write);
  // The intake's counters; a store adds what only it knows (segments, free space).
  JournalStats intake_stats() const;
  // Writer thread, once per committed transaction.
  void count_commit() { commits_.fetch_add(1, std::memory_order_relaxed); }
  // Journal entries admitted from now on keep no payload while this is set (a disk nearly full);
  // returns whether it was set before.
  bool set_refusing_payloads(bool refuse) { return refusing_payloads_.exchange(refuse, std::memory_order_relaxed); }

  // Writer thread. Returns the number of journal rows committed; fills `error` when some or all
  // were not. The queue writes are committed together with them, or none are (then `queue_error`
  // says why); this class answers them afterwards.
  virtual std::size_t write_batch(const std::vector<JournalEntry>& batch, std::vector<QueueWrite>& writes,
                                  std::string& error, std::string& queue_error) = 0;
  // Writer thread: drops what retention says goes and returns the names of the days dropped. Run
  // every limits.retention_check and on enforce_retention(); a failure is the pass's to log.
  virtual Expected<std::vector<std::string>> retention_pass() = 0;
  // Writer thread: after an idle tick with nothing to write, and before each batch.
  virtual void between_batches(bool idle) = 0;
  // Writer thread: after each batch is answered.
  virtual void after_batch() {}

  const JournalLimits limits_;

 private:
  void run_writer();
  Expected<std::vector<std::string>> run_retention_pass();
  void trim_memory_after_burst();

  const std::string where_;
  const std::string waits_for_;
  const std::size_t queue_capacity_;

  mutable std::mutex queue_mutex_;
  std::condition_variable work_cv_;  // the writer waits here for entries, requests or stop
  std::condition_variable done_cv_;  // flush() and enforce_retention() wait here for the writer
  std::vector<JournalEntry> queue_;
  std::vector<QueueWrite> queue_writes_;
  std::uint64_t accepted_ = 0;   // entries ever queued
  std::uint64_t processed_ = 0;  // of those, how many the writer has finished with
  bool stopping_ = false;
  int flush_waiters_ = 0;  // flush() calls waiting: the writer then skips its gathering pause
  std::string last_write_error_;
  std::vector<std::function<void()>> room_waiters_;        // when_journal_has_room() callers
  std::chrono::steady_clock::time_point pressure_logged_;  // the last "intake waits" line
  // enforce_retention(): passes asked for and the last asked for that the writer ran, its result.
  std::uint64_t retention_asked_ = 0;
  std::uint64_t retention_ran_ = 0;
  Expected<std::vector<std::string>> retention_result_ = std::vector<std::string>{};
  std::chrono::steady_clock::time_point retention_due_;  // writer thread only: the next periodic pass

  std::atomic<std::size_t> queued_entries_{0};  // queue_.size(), for journal_has_room() without the lock
  std::atomic<std::uint64_t> queued_bytes_{0};  // payload bytes in the queue and the batch being written
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_write_failed_{0};
  std::atomic<std::uint64_t> truncated_{0};
  std::atomic<std::uint64_t> skipped_low_on_space_{0};
  std::atomic<std::uint64_t> skipped_backlog_{0};
  std::atomic<std::uint64_t> memory_trims_{0};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> failed_writes_{0};
  std::atomic<bool> refusing_payloads_{false};
  // Payload bytes journal() has seen (before cutting) since the last trim: what a burst left in
  // the allocator. Only the writer resets it.
  std::atomic<std::uint64_t> bytes_since_trim_{0};

  std::thread writer_;
};

}  // namespace qiao
