#pragma once
// The SQLite journal and persistent queues, written in batches by one thread (batched_store.hpp).
// The queues and idempotency keys are in the main file; the journal keeps a database per UTC day
// beside it (sqlite_journal_days.hpp) so that retention drops whole files. Searches use read-only
// connections of their own, which WAL lets run while the writer commits. The writer measures free
// space now and then; below journal.min_free_bytes entries are kept without their payloads.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/store/batched_store.hpp"
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

class SqliteStore final : public BatchedStore {
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

  // `since` is inclusive and `until` exclusive, so consecutive windows never overlap.
  Expected<std::vector<JournalEntry>> search(const JournalQuery& query) const override;
  // SQLite's plan for that search (EXPLAIN QUERY PLAN, its steps joined by "; ") on the newest day
  // it reads: which index a search walks, for tests and for an operator wondering why one is slow.
  Expected<std::string> query_plan(const JournalQuery& query) const;
  JournalStats stats() const override;

  Expected<std::vector<Delivery>> deliveries(const DeliveryQuery& query) const override;
  void claim_deliveries(DeliveriesClaimed done) override;  // sqlite_queue_claims.cpp
  void release_deliveries(ChangesStored done) override;    // sqlite_queue_claims.cpp
  Expected<std::vector<Delivery>> message_deliveries(const std::string& message_id) const override;

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
  // Writer thread: measures free space when the last check is older than limits_.free_space_check.
  // `first`: measure regardless (at open), and log a low disk as the state it starts in.
  void check_free_space(std::chrono::steady_clock::time_point now, bool first);
  std::size_t write_batch(const std::vector<JournalEntry>& batch, std::vector<QueueWrite>& writes, std::string& error,
                          std::string& queue_error) override;
  // Drops the days retention says are too old or too many (the newest never for size) and
  // measures what stays.
  Expected<std::vector<std::string>> retention_pass() override;
  void between_batches(bool idle) override;
  // Days a batch attached and no longer needs are detached.
  void after_batch() override;
  // The journal's days on disk (or in memory), in bytes.
  std::uint64_t measure_days();

  const std::string path_;  // for error texts; ":memory:" for an in-memory store
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

  std::atomic<std::uint64_t> day_bytes_{0};  // the journal's days on disk, at the last retention pass
  std::atomic<std::uint64_t> days_dropped_{0};

  // Free space, measured on the writer thread (and once at open).
  std::atomic<std::uint64_t> free_bytes_{0};
  std::chrono::steady_clock::time_point free_space_checked_;  // writer thread only
  bool free_space_unknown_ = false;  // writer thread only: the last statvfs failed (logged once)

  std::atomic<bool> queues_claimed_{false};  // sqlite_queue_claims.cpp: the first claim was answered
};

}  // namespace qiao
