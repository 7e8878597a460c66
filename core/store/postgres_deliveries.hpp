#pragma once
// The PostgreSQL side of the persistent queues: statements the writer runs inside its batch
// transaction, and the read of deliveries on the reader's connection. Ids come from an identity
// column, so several gateway nodes sharing the database never get the same one.

#include <string>
#include <string_view>
#include <vector>

#include "core/store/deliveries.hpp"

struct pg_conn;
struct pg_result;

namespace qiao {

class PostgresDeliveryWriter {
 public:
  // Within the writer's open transaction on `conn`; false on a failed statement, with `error`
  // saying why. Queues every group's deliveries in the order given, setting their ids.
  static bool enqueue(pg_conn* conn, const std::vector<std::vector<Delivery>*>& groups, std::string& error);
  // `node` (PostgresQueueOwners::node) gives up a key of its own once a delivery or a dead letter
  // leaves it no queued delivery, so that keys are held only while there is work for them.
  // `keep_delivered`: a delivered delivery and its attempts (the last one finished, ok, at the
  // change's time) go to the journal's day of that time (journal_deliveries, journal_attempts),
  // whose partitions must exist, before it leaves the queue.
  static bool apply(pg_conn* conn, const DeliveryChange& change, const std::string& node, bool keep_delivered,
                    std::string& error);
};

// A delivery's columns (of `deliveries d`) as postgres_delivery_from_row reads them: every field
// but the request, the history and `held`.
extern const std::string_view postgres_delivery_columns;
Delivery postgres_delivery_from_row(const pg_result* r, int row);

// Oldest first. Fails with the server's reason; `where` names the database in errors. `node`
// says which queued rows are Delivery::held.
Expected<std::vector<Delivery>> read_postgres_deliveries(pg_conn* conn, const DeliveryQuery& query,
                                                         const std::string& where, const std::string& node);
// The message's deliveries that were delivered, each with its attempts, oldest first.
Expected<std::vector<Delivery>> read_postgres_delivered(pg_conn* conn, const std::string& message_id,
                                                        const std::string& where);

}  // namespace qiao
