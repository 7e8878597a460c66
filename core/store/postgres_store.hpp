#pragma once
// The PostgreSQL journal, persistent queues and idempotency keys, for gateway nodes that share
// one database, written in batches by one thread (batched_store.hpp). Searches and queue reads
// use a second connection. The writer reconnects when its connection is lost; a batch it cannot
// write fails, every callback with an Error and every journal entry counted as dropped.

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
#include "core/store/pg_util.hpp"
#include "core/store/postgres_idempotency.hpp"
#include "core/store/postgres_journal_days.hpp"
#include "core/store/postgres_queue_owners.hpp"
#include "core/store/queue_write.hpp"
#include "core/store/store.hpp"

namespace qiao {

class PostgresStore final : public BatchedStore {
 public:
  static constexpr std::size_t default_queue_capacity = 65536;
  // The schema version this build writes; the same numbering as the SQLite store's.
  static int schema_version();
  // Brings a database's schema to `version` (at most schema_version()) without opening a store:
  // a database as an older qiao left it, for the tests of a migration.
  static Status create_schema(const std::string& url, int version);

  // Connects to `url` (postgres://user@host/db or any libpq connection string), brings the
  // schema up to date and starts the writer. An unreachable server, a refused login or a database
  // of a newer schema are ErrorKind::config errors that say why, with the password left out.
  // `lease` names this process among the nodes sharing the database's queues (a lease starts now).
  static Expected<std::unique_ptr<PostgresStore>> open(const std::string& url,
                                                       std::size_t queue_capacity = default_queue_capacity,
                                                       const JournalLimits& limits = {}, const QueueLease& lease = {});

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;
  // Writes everything still queued (while the server can be reached) before closing.
  ~PostgresStore() override;

  Expected<std::vector<JournalEntry>> search(const JournalQuery& query) const override;
  JournalStats stats() const override;

  Expected<std::vector<Delivery>> deliveries(const DeliveryQuery& query) const override;
  void claim_deliveries(DeliveriesClaimed done) override;
  void release_deliveries(ChangesStored done) override;
  Expected<std::vector<Delivery>> message_deliveries(const std::string& message_id) const override;

  // PostgreSQL's plan for that search (EXPLAIN, one line per plan line; with `analyze` the search
  // runs and the plan says which partitions it visited): which days and indexes a search reads.
  Expected<std::string> query_plan(const JournalQuery& query, bool analyze = false) const;
  // The URL without its password, as errors name it.
  const std::string& where() const { return where_; }
  // This process among the nodes sharing the queues: node name / random id.
  const std::string& queue_node() const { return owners_.node(); }

 private:
  PostgresStore(std::string url, pg::ConnPtr writer, pg::ConnPtr reader, std::size_t queue_capacity,
                const JournalLimits& limits, PostgresQueueOwners owners);

  // Writer thread: a connection to write on, reconnecting when the last one was lost and the
  // backoff since the last failed attempt has passed. False (with `error`) when there is none.
  bool writer_connection(std::string& error);
  void lost_writer_connection(const std::string& error);
  std::size_t write_batch(const std::vector<JournalEntry>& batch, std::vector<QueueWrite>& writes, std::string& error,
                          std::string& queue_error) override;
  // Within the open transaction; false with `error` when the statement failed.
  bool insert_entries(const std::vector<JournalEntry>& batch, std::string& error);
  // The days whose partitions a batch needs: its entries', its delivered deliveries', today's and,
  // ahead of midnight, tomorrow's.
  static std::vector<JournalDay> days_of(const std::vector<JournalEntry>& batch, const std::vector<QueueWrite>& writes);
  // Writer thread, outside a transaction: makes the partitions of `days` that are missing.
  bool make_days(const std::vector<JournalDay>& days, std::string& error);
  // Drops the days retention says go and fills the stats.
  Expected<std::vector<std::string>> retention_pass() override;
  void between_batches(bool idle) override;
  // Reader side: runs `read` on the reader connection, reconnecting once when it was lost.
  template <class Read>
  auto read_with_reconnect(Read read) const -> decltype(read(static_cast<pg_conn*>(nullptr)));

  const std::string url_;
  const std::string where_;
  const PostgresQueueOwners owners_;

  // Writer thread only, once it runs.
  pg::ConnPtr writer_db_;
  PostgresIdempotencyWriter idempotency_;
  std::chrono::steady_clock::time_point reconnect_at_{};
  std::chrono::milliseconds reconnect_backoff_{0};
  std::string connection_error_;  // why the writer has no connection, while it has none
  PostgresJournalDays days_;

  mutable std::mutex read_mutex_;  // one read at a time on reader_db_
  mutable pg::ConnPtr reader_db_;

  std::atomic<std::uint64_t> segments_{0};
  std::atomic<std::uint64_t> segment_bytes_{0};
  std::atomic<std::uint64_t> segments_dropped_{0};
};

}  // namespace qiao
