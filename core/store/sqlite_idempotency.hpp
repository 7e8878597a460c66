#pragma once
// The SQLite side of idempotency keys: statements on the writer's connection, run inside the
// writer's batch transaction, so a claim and the answer that settles it are as durable as a
// queued delivery, and claims of one key are decided one after another.

#include <chrono>
#include <string>

#include "core/store/idempotency.hpp"
#include "core/store/sqlite_util.hpp"

namespace qiao {

class SqliteIdempotencyWriter {
 public:
  // false when a statement does not prepare; the reason is on the connection.
  bool prepare(sqlite3* db);
  // Within the writer's open transaction; false on a failed statement, with `error` saying why.
  bool claim(const IdempotencyClaim& claim, IdempotencyClaimResult& result, std::string& error);
  bool settle(const IdempotencySettle& settle, std::string& error);
  // Removes keys whose ttl has passed, at most every few minutes (the table stays small: one
  // row per key within its ttl, answers included).
  bool prune(std::chrono::system_clock::time_point now, std::string& error);

 private:
  sqlite3* db_ = nullptr;
  sqlite::StmtPtr find_;
  sqlite::StmtPtr take_;
  sqlite::StmtPtr answer_;
  sqlite::StmtPtr release_;
  sqlite::StmtPtr prune_;
  std::chrono::system_clock::time_point pruned_at_{};
};

}  // namespace qiao
