#pragma once
// The writer connection's side of the journal's days (sqlite_journal_days.hpp): each day a batch
// writes to is ATTACHed to the writer connection, so the batch's journal rows and its queue writes
// in the main file are one transaction, one writer, one lock. A day is created with its tables on
// first use; the days not written lately are detached again, since a connection attaches only a
// few databases (SQLITE_LIMIT_ATTACHED).
//
// A day's file runs with synchronous = NORMAL, the main file with FULL: WAL survives the process
// dying (kill -9) either way, and only a power cut may take the journal rows of the last commits.
// The queues and idempotency keys, which senders were acknowledged on, stay fsync'd per commit,
// and a batch's journal rows cost no second fsync.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/store/deliveries.hpp"
#include "core/store/sqlite_journal_days.hpp"
#include "core/store/sqlite_util.hpp"
#include "core/store/store.hpp"

struct sqlite3;

namespace qiao {

class JournalWriter {
 public:
  // `db`: the store's writer connection, which must outlive this. Used on the writer thread only.
  JournalWriter(sqlite3* db, JournalDays& days);

  // Outside a transaction (ATTACH cannot run inside one): makes the day writable, creating its
  // database and tables when it is new and adding it to the catalog.
  Status attach(JournalDay day);
  bool attached(JournalDay day) const;
  // Inside the batch's transaction: the entry's row and its key rows, in the day of its
  // received_at, which must be attached. `keys` is the entry's keys as encode_journal_keys gave.
  // False when SQLite refused the row; `error` then says why.
  bool write(const JournalEntry& entry, const std::string& keys, std::string& error);
  // Inside the batch's transaction, before the queue removes it: a delivered delivery and its
  // attempts (the last one finished, ok, at the change's time) go to the day it was delivered,
  // which must be attached. False when SQLite refused; `error` then says why.
  bool keep_delivered(const DeliveryChange& change, std::string& error);
  // Outside a transaction: detaches the least recently written days beyond `keep`.
  void detach_unused(std::size_t keep);
  // Outside a transaction: detaches the day, if attached, so that its file can go.
  Status detach(JournalDay day);
  // The size of an in-memory day (attached: an in-memory store never detaches its days, which
  // would free them).
  std::optional<std::uint64_t> memory_bytes(JournalDay day);
  // Migration from schema version 5, which kept the journal in the main file: copies that file's
  // rows of the day into the day, in a transaction of its own. Copying again is harmless.
  Status copy_from_main(JournalDay day);

 private:
  struct Attached {
    JournalDay day = 0;
    std::string schema;  // the ATTACH name: day_20261204
    sqlite::StmtPtr insert;
    sqlite::StmtPtr insert_key;
    sqlite::StmtPtr keep_delivery;
    sqlite::StmtPtr keep_attempts;
    std::uint64_t last_used = 0;
  };
  Attached* find(JournalDay day);
  const Attached* find(JournalDay day) const;
  Error failure(std::string what) const;

  sqlite3* db_;
  JournalDays& days_;
  std::vector<Attached> attached_;
  std::uint64_t uses_ = 0;
  std::string steps_;  // the entry's steps as bytes, bound while its row is written
};

}  // namespace qiao
