#pragma once
// The PostgreSQL side of the persistent queues: statements the writer runs inside its batch
// transaction, and the read of deliveries on the reader's connection. Ids come from an identity
// column, so several gateway nodes sharing the database never get the same one.

#include <string>
#include <vector>

#include "core/store/deliveries.hpp"

struct pg_conn;

namespace qiao {

class PostgresDeliveryWriter {
 public:
  // Within the writer's open transaction on `conn`; false on a failed statement, with `error`
  // saying why. Queues every group's deliveries in the order given, setting their ids.
  static bool enqueue(pg_conn* conn, const std::vector<std::vector<Delivery>*>& groups, std::string& error);
  static bool apply(pg_conn* conn, const DeliveryChange& change, std::string& error);
};

// Oldest first. Fails with the server's reason; `where` names the database in errors.
Expected<std::vector<Delivery>> read_postgres_deliveries(pg_conn* conn, const DeliveryQuery& query,
                                                         const std::string& where);

}  // namespace qiao
