#pragma once
// Which gateway node delivers what, when several share one PostgreSQL store: a node holds queue
// keys (endpoint, order key) in `queue_keys` under a lease in `queue_nodes` it renews while it
// lives, and only the holder of a key attempts its deliveries, oldest first; `deliveries.node`
// says which node has a queued row in memory (NULL: none yet). Every statement runs in the
// writer's batch transaction (the lease row at open, before the writer starts). Why keys and not
// rows are owned, and how a takeover goes: core/store/README.md, "Queues shared by nodes".

#include <chrono>
#include <string>
#include <vector>

#include "core/store/deliveries.hpp"
#include "core/store/store.hpp"

struct pg_conn;

namespace qiao {

class PostgresQueueOwners {
 public:
  // This process's identity: the node name and a random id drawn now, so that a restarted node is
  // another holder than the process that crashed (whose keys wait for its lease to expire).
  explicit PostgresQueueOwners(const QueueLease& lease);

  const std::string& node() const { return node_; }
  std::chrono::milliseconds lease() const { return lease_; }
  // How often the delivery service claims: renewals well inside the lease, and deliveries another
  // node queued for one of this node's keys picked up within about a second.
  std::chrono::milliseconds claim_every() const;

  // Starts (or renews) this node's lease. False on a failed statement, with `error` saying why.
  bool renew_at_open(pg_conn* conn, std::string& error) const;
  // After a batch's deliveries were inserted (node NULL): takes their free keys while the lease is
  // live, and marks held (node = this one) those whose key this node holds and that have no older
  // delivery of the key waiting to be claimed; the others wait for their key's holder to claim them.
  bool hold_enqueued(pg_conn* conn, const std::vector<std::vector<Delivery>*>& groups, std::string& error) const;
  // Renews the lease (or starts a new one after it lapsed), takes over the keys of nodes whose
  // lease expired, takes free keys, and hands over the queued rows of this node's keys.
  bool claim(pg_conn* conn, DeliveryClaim& claim, std::string& error) const;
  // Gives the keys and the lease up; the queued rows go back to no holder.
  bool release(pg_conn* conn, std::string& error) const;

 private:
  std::string node_;
  std::chrono::milliseconds lease_;
};

}  // namespace qiao
