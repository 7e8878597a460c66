#pragma once
// The SQLite side of the persistent queues: statements on the writer's connection, applied
// inside the writer's batch transaction, and the read of deliveries on the reader's.

#include <string>
#include <vector>

#include "core/store/deliveries.hpp"
#include "core/store/sqlite_util.hpp"

namespace qiao {

class SqliteDeliveryWriter {
 public:
  // false when a statement does not prepare; the reason is on the connection.
  bool prepare(sqlite3* db);
  // Within the writer's open transaction; false on a failed statement, with `error` saying why.
  bool enqueue(std::vector<Delivery>& deliveries, std::string& error);
  bool apply(const DeliveryChange& change, std::string& error);

 private:
  sqlite3* db_ = nullptr;
  sqlite::StmtPtr insert_;
  sqlite::StmtPtr insert_attempt_;
  sqlite::StmtPtr count_attempt_;
  sqlite::StmtPtr finish_attempt_;
  sqlite::StmtPtr schedule_;
  sqlite::StmtPtr bury_;
  sqlite::StmtPtr remove_;
  sqlite::StmtPtr remove_attempts_;
  sqlite::StmtPtr interrupt_;
  sqlite::StmtPtr replay_;
  sqlite::StmtPtr discard_;
};

// An attempt from a row of (number, started_at, finished_at, outcome, error), as the queue's
// delivery_attempts and the journal's journal_attempts both keep them.
DeliveryAttempt attempt_from_row(sqlite3_stmt* row);

// Oldest first. `path` names the file in errors.
Expected<std::vector<Delivery>> read_deliveries(sqlite3* db, const DeliveryQuery& query, const std::string& path);

}  // namespace qiao
