#pragma once
// The SQLite journal and persistent queues. Workers only append to in-memory queues; one writer
// thread owned by the store turns whatever has accumulated into a single transaction, because
// SQLite's cost is per commit (an fsync of the WAL), not per row. The queues and idempotency keys
// are in the main file; the journal keeps a database per UTC day beside it (sqlite_journal_days.hpp)
// so that retention drops whole files. Searches use read-only connections of their own, which WAL
// lets run while the writer commits. Payloads are cut to their limits on the caller's
// thread, before they enter the queue, so a burst of large messages never sits in it whole; the
// writer thread measures free space now and then and, once a burst is over, hands the memory it
// left behind back to the kernel.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/store/queue_write.hpp"
#include "core/store/sqlite_deliveries.hpp"
#include "core/store/sqlite_idempotency.hpp"
#include "core/store/sqlite_journal_days.hpp"
#include "core/store/sqlite_journal_writer.hpp"
#include "core/store/sqlite_util.hpp"
#include "core/store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace qiao {

class SqliteStore final : public Store {
 public:
  // Absorbs a few seconds of a busy gateway while the disk stalls before intake waits for it; an
  // entry costs about 300 bytes in the queue plus its request and reply (see max_queued_bytes).
  static constexpr std::size_t default_queue_capacity = 65536;

  // Opens the database file at `path`, creating it and its schema when missing. The parent
  // directory must exist (open_store creates it). Failures are ErrorKind::config errors that
  // name the path and SQLite's reason.
  static Expected<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                     std::size_t queue_capacity = default_queue_capacity,
                                                     const JournalLimits& limits = {});
  // A database that lives only as long as this store (tests, `qiao test`). It still has a
  // separate read connection, so it behaves like a file store apart from durability and free
  // space, which it never runs short of.
  static Expected<std::unique_ptr<SqliteStore>> open_memory(std::size_t queue_capacity = default_queue_capacity,
                                                            const JournalLimits& limits = {});

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  // Writes everything still queued before closing, so a clean shutdown loses nothing.
  ~SqliteStore() override;

  void journal(JournalEntry entry) override;
  bool journal_has_room() const override;
  void when_journal_has_room(std::function<void()> ready) override;
  void flush() override;
  Expected<std::vector<std::string>> enforce_retention() override;
  // `since` is inclusive and `until` exclusive, so consecutive windows never overlap.
  Expected<std::vector<JournalEntry>> search(const JournalQuery& query) const override;
  // SQLite's plan for that search (EXPLAIN QUERY PLAN, its steps joined by "; ") on the newest day
  // it reads: which index a search walks, for tests and for an operator wondering why one is slow.
  Expected<std::string> query_plan(const JournalQuery& query) const;
  std::uint64_t written() const override;
  std::uint64_t dropped() const override;
  JournalStats stats() const override;

  void enqueue(std::vector<Delivery> deliveries, DeliveriesStored done) override;
  void change(std::vector<DeliveryChange> changes, ChangesStored done) override;
  Expected<std::vector<Delivery>> deliveries(const DeliveryQuery& query) const override;
  void claim_deliveries(DeliveriesClaimed done) override;  // sqlite_queue_claims.cpp
  void release_deliveries(ChangesStored done) override;    // sqlite_queue_claims.cpp
  Expected<std::vector<Delivery>> message_deliveries(const std::string& message_id) const override;

  void claim(IdempotencyClaim claim, IdempotencyClaimed done) override;
  void settle(IdempotencySettle settle, std::vector<Delivery> deliveries, DeliveriesStored done) override;

  // Why the most recent failed write failed; empty while every write has succeeded. Write
  // failures happen on the writer thread, where nobody is waiting for an Error.
  std::string last_write_error() const;

  const std::string& path() const { return path_; }

 private:
  struct DbCloser {
    void operator()(sqlite3* db) const;
  };
  using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
  using StmtPtr = sqlite::StmtPtr;

  // `memory_base`: the memdb name of an in-memory store ("/qiao-store-7"), empty for a file.
  static Expected<std::unique_ptr<SqliteStore>> open_uri(const std::string& name, const std::string& memory_base,
                                                         std::size_t queue_capacity, const JournalLimits& limits);

  SqliteStore(std::string path, const std::string& memory_base, DbPtr writer_db, DbPtr reader_db,
              std::size_t queue_capacity, const JournalLimits& limits);
  // At open, from schema version 5: the main file's journal rows go to their days.
  Status move_journal_into_days();
  Status prepare_writer_statements();
  void run_writer();
  // Writer thread: measures free space when the last check is older than limits_.free_space_check.
  // `first`: measure regardless (at open), and log a low disk as the state it starts in.
  void check_free_space(std::chrono::steady_clock::time_point now, bool first);
  // Writer thread, while idle: returns freed memory to the kernel once enough has passed through.
  void trim_memory_after_burst();
  // Queue writes waiting for the writer, each with the callback to run once it is durable.
  // Returns the number of journal rows committed; fills `error` when some or all were not. The
  // queue writes are committed together with them, or none are (then `queue_error` says why).
  std::size_t write_batch(const std::vector<JournalEntry>& batch, std::vector<QueueWrite>& writes, std::string& error,
                          std::string& queue_error);
  void add_queue_write(QueueWrite write);
  // Writer thread: drops the days retention says are too old or too many (the newest never for
  // size), measures what stays, and returns the names of the days dropped.
  std::vector<std::string> apply_retention();
  // The journal's days on disk (or in memory), in bytes.
  std::uint64_t measure_days();

  const std::string path_;  // for error texts; ":memory:" for an in-memory store
  const JournalLimits limits_;
  const bool memory_;

  // Declared before the statements and the reader so they are destroyed after them: the
  // writer must be the last connection to close, which checkpoints and removes the WAL file.
  DbPtr writer_db_;
  StmtPtr begin_;
  StmtPtr commit_;
  StmtPtr rollback_;
  JournalDays days_;
  JournalWriter journal_writer_;
  SqliteDeliveryWriter deliveries_;
  SqliteIdempotencyWriter idempotency_;

  mutable std::mutex read_mutex_;  // one search at a time on reader_db_
  DbPtr reader_db_;

  const std::size_t queue_capacity_;
  mutable std::mutex queue_mutex_;
  std::condition_variable work_cv_;  // writer waits here for entries or stop
  std::condition_variable done_cv_;  // flush() waits here for the writer to catch up
  std::vector<JournalEntry> queue_;
  std::vector<QueueWrite> queue_writes_;
  std::uint64_t accepted_ = 0;   // entries ever queued
  std::uint64_t processed_ = 0;  // of those, how many the writer has finished with
  bool stopping_ = false;
  int flush_waiters_ = 0;        // flush() calls waiting: the writer then skips its gathering pause
  std::string last_write_error_;
  std::vector<std::promise<std::vector<std::string>>> retention_requests_;  // enforce_retention() callers

  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::size_t> queued_entries_{0};  // queue_.size(), for journal_has_room() without the lock
  std::vector<std::function<void()>> room_waiters_;  // under queue_mutex_: when_journal_has_room() callers
  std::chrono::steady_clock::time_point pressure_logged_;  // under queue_mutex_: the last "intake waits" line
  std::atomic<std::uint64_t> dropped_write_failed_{0};
  std::atomic<std::uint64_t> truncated_{0};
  std::atomic<std::uint64_t> skipped_low_on_space_{0};
  std::atomic<std::uint64_t> skipped_backlog_{0};
  std::atomic<std::uint64_t> queued_bytes_{0};  // payload bytes in the queue and the batch being written
  std::atomic<std::uint64_t> memory_trims_{0};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> day_bytes_{0};     // the journal's days on disk, at the last retention pass
  std::atomic<std::uint64_t> days_dropped_{0};
  std::chrono::steady_clock::time_point retention_checked_;  // writer thread only
  // Payload bytes journal() has seen (before cutting) since the last trim: what a burst left in
  // the allocator. Only the writer resets it.
  std::atomic<std::uint64_t> bytes_since_trim_{0};

  // Free space, measured on the writer thread (and once at open); read by journal() on workers.
  std::atomic<bool> low_on_space_{false};
  std::atomic<std::uint64_t> free_bytes_{0};
  std::chrono::steady_clock::time_point free_space_checked_;  // writer thread only
  bool free_space_unknown_ = false;  // writer thread only: the last statvfs failed (logged once)

  std::atomic<bool> queues_claimed_{false};  // sqlite_queue_claims.cpp: the first claim was answered
  std::thread writer_;  // started last, once everything it touches exists
};

}  // namespace qiao
