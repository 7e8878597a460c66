#pragma once
// The PostgreSQL side of idempotency keys, run inside the writer's batch transaction. Several
// gateway nodes may claim one key at the same moment: each claim is decided by one statement
// that inserts the key or takes it over only when it is free, which PostgreSQL runs one at a time
// per key (the second waits for the first's transaction), so exactly one of them gets it.

#include <chrono>
#include <string>

#include "core/store/idempotency.hpp"

struct pg_conn;

namespace qiao {

class PostgresIdempotencyWriter {
 public:
  // Within the writer's open transaction on `conn`; false on a failed statement, with `error`
  // saying why.
  bool claim(pg_conn* conn, const IdempotencyClaim& claim, IdempotencyClaimResult& result, std::string& error);
  bool settle(pg_conn* conn, const IdempotencySettle& settle, std::string& error);
  // Removes keys whose ttl has passed, at most every few minutes.
  bool prune(pg_conn* conn, std::chrono::system_clock::time_point now, std::string& error);

 private:
  std::chrono::system_clock::time_point pruned_at_{};
};

}  // namespace qiao
