#include "core/store/postgres_queue_owners.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

#include "core/log.hpp"
#include "core/store/pg_util.hpp"
#include "core/store/postgres_deliveries.hpp"

namespace qiao {

namespace {

// Leases are compared on the database server's clock, the one clock every node sees, so a node
// whose own clock is off neither keeps a lease that ran out nor loses one early.
#define QIAO_DB_NOW "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"

constexpr std::string_view start_lease_sql = "INSERT INTO queue_nodes (node, lease_until) VALUES ($1, " QIAO_DB_NOW
                                             " + $2) "
                                             "ON CONFLICT (node) DO UPDATE SET lease_until = EXCLUDED.lease_until";
// Only a live lease is renewed: one that ran out may have been taken over already, and the node
// must then learn that its keys are gone rather than carry on as their holder.
constexpr std::string_view renew_sql =
    "UPDATE queue_nodes SET lease_until = " QIAO_DB_NOW " + $2 WHERE node = $1 AND lease_until > " QIAO_DB_NOW;
constexpr std::string_view drop_keys_sql = "DELETE FROM queue_keys WHERE node = $1";
constexpr std::string_view unhold_rows_sql = "UPDATE deliveries SET node = NULL WHERE node = $1 AND state = 0";
constexpr std::string_view drop_node_sql = "DELETE FROM queue_nodes WHERE node = $1";

// One node at a time looks for dead nodes; another that finds the lock taken skips the search
// until its next claim. Advisory locks belong to one database: 'qiot' in ASCII.
constexpr std::string_view takeover_lock_sql = "SELECT pg_try_advisory_xact_lock(1902733172)";
// Nodes whose lease ran out, and holders of keys that have no lease at all (a node whose lease
// was taken over while its last batch, already past its lease check, was still inserting keys).
constexpr std::string_view dead_nodes_sql = "SELECT node FROM queue_nodes WHERE lease_until <= " QIAO_DB_NOW
                                            " AND node <> $1 "
                                            "UNION SELECT DISTINCT k.node FROM queue_keys k WHERE k.node <> $1 "
                                            "AND NOT EXISTS (SELECT 1 FROM queue_nodes n WHERE n.node = k.node)";
constexpr std::string_view take_keys_sql = "UPDATE queue_keys SET node = $1 WHERE node = $2";

// Keys of queued rows that no node holds (replays, a node that stopped cleanly, another node's
// batch that queued a new key's first row while the key was being given up), in key order so
// that two nodes taking keys at once lock them in the same order.
constexpr std::string_view take_free_keys_sql =
    "INSERT INTO queue_keys (endpoint, order_key, node) "
    "SELECT DISTINCT d.endpoint, d.order_key, $1 FROM deliveries d WHERE d.state = 0 AND d.node IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM queue_keys k WHERE k.endpoint = d.endpoint AND k.order_key = d.order_key) "
    "ORDER BY 1, 2 ON CONFLICT DO NOTHING";
constexpr std::string_view hand_over_sql_head =
    "UPDATE deliveries d SET node = $1 FROM queue_keys k "
    "WHERE d.state = 0 AND d.node IS NULL AND k.endpoint = d.endpoint AND k.order_key = d.order_key "
    "AND k.node = $1 RETURNING ";

// A batch's new keys are taken only under a live lease, so that a node whose lease ran out does
// not hold keys that nobody then takes over.
constexpr std::string_view take_new_keys_sql =
    "INSERT INTO queue_keys (endpoint, order_key, node) "
    "SELECT DISTINCT d.endpoint, d.order_key, $1 FROM deliveries d WHERE d.id = ANY($2) "
    "AND EXISTS (SELECT 1 FROM queue_nodes n WHERE n.node = $1 AND n.lease_until > " QIAO_DB_NOW
    ") "
    "ORDER BY 1, 2 ON CONFLICT DO NOTHING";
// A delivery of this node's key is held at once unless an older one of the key waits unclaimed
// (another node queued it a moment ago): both then come with the next claim, in id order. Not
// under a lease that ran out either: its keys may be moving to another node right now.
constexpr std::string_view hold_new_sql =
    "UPDATE deliveries d SET node = $1 FROM queue_keys k "
    "WHERE d.id = ANY($2) AND k.endpoint = d.endpoint AND k.order_key = d.order_key AND k.node = $1 "
    "AND EXISTS (SELECT 1 FROM queue_nodes n WHERE n.node = $1 AND n.lease_until > " QIAO_DB_NOW
    ") "
    "AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.endpoint = d.endpoint AND o.order_key = d.order_key "
    "AND o.state = 0 AND o.node IS NULL AND o.id < d.id AND o.id <> ALL($2)) RETURNING d.id";

bool run(pg_conn* conn, std::string_view sql, const pg::Params& params, std::string_view what, std::string& error,
         pg::ResultPtr* out = nullptr) {
  std::string reason;
  pg::ResultPtr result = pg::exec(conn, sql, params, reason);
  if (!result) {
    error = "store: " + std::string(what) + " failed: " + reason;
    return false;
  }
  if (out) *out = std::move(result);
  return true;
}

std::string random_id() {
  std::random_device device;
  std::uint64_t id = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return fmt::format("{:016x}", id);
}

}  // namespace

PostgresQueueOwners::PostgresQueueOwners(const QueueLease& lease)
    : node_(lease.node + "/" + random_id()), lease_(std::max(lease.duration, std::chrono::milliseconds(1))) {}

std::chrono::milliseconds PostgresQueueOwners::claim_every() const {
  return std::clamp(lease_ / 3, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

bool PostgresQueueOwners::renew_at_open(pg_conn* conn, std::string& error) const {
  pg::Params p;
  p.text(node_).int64(std::chrono::duration_cast<std::chrono::microseconds>(lease_).count());
  return run(conn, start_lease_sql, p, "starting the queue lease", error);
}

bool PostgresQueueOwners::hold_enqueued(pg_conn* conn, const std::vector<std::vector<Delivery>*>& groups,
                                        std::string& error) const {
  std::vector<std::int64_t> ids;
  for (const auto* group : groups)
    for (const Delivery& d : *group) ids.push_back(d.id);
  if (ids.empty()) return true;
  pg::Params p;
  p.text(node_).int64_array(ids);
  if (!run(conn, take_new_keys_sql, p, "taking the keys of queued deliveries", error)) return false;
  pg::ResultPtr held;
  if (!run(conn, hold_new_sql, p, "holding queued deliveries", error, &held)) return false;
  std::set<std::int64_t> held_ids;
  for (int row = 0; row < pg::rows(held.get()); ++row) held_ids.insert(pg::get_int(held.get(), row, 0));
  for (auto* group : groups)
    for (Delivery& d : *group) d.held = held_ids.count(d.id) > 0;
  return true;
}

bool PostgresQueueOwners::claim(pg_conn* conn, DeliveryClaim& claim, std::string& error) const {
  claim = DeliveryClaim{};
  claim.lease = lease_;
  claim.claim_every = claim_every();
  const std::int64_t lease_us = std::chrono::duration_cast<std::chrono::microseconds>(lease_).count();
  pg::Params me;
  me.text(node_);
  pg::Params renewal;
  renewal.text(node_).int64(lease_us);
  std::string reason;
  pg::ResultPtr renewed = pg::exec(conn, renew_sql, renewal, reason);
  if (!renewed) {
    error = "store: renewing the queue lease failed: " + reason;
    return false;
  }
  if (pg::changed(renewed.get()) == 0) {
    // The lease ran out (and may have been taken over): whatever this node still holds goes back
    // to no holder, and it starts again as a node that holds nothing.
    claim.lease_lapsed = true;
    if (!run(conn, drop_keys_sql, me, "giving up lapsed queue keys", error) ||
        !run(conn, unhold_rows_sql, me, "giving up lapsed deliveries", error) ||
        !run(conn, start_lease_sql, renewal, "starting the queue lease", error))
      return false;
  }

  pg::ResultPtr locked;
  if (!run(conn, takeover_lock_sql, pg::Params{}, "looking for nodes that stopped", error, &locked)) return false;
  if (pg::get_bool(locked.get(), 0, 0)) {
    pg::ResultPtr dead;
    if (!run(conn, dead_nodes_sql, me, "looking for nodes that stopped", error, &dead)) return false;
    for (int row = 0; row < pg::rows(dead.get()); ++row) {
      const std::string gone = pg::get_string(dead.get(), row, 0);
      pg::Params take;
      take.text(node_).text(gone);
      pg::Params them;
      them.text(gone);
      pg::ResultPtr keys, rows;
      if (!run(conn, take_keys_sql, take, "taking over queue keys", error, &keys) ||
          !run(conn, unhold_rows_sql, them, "taking over deliveries", error, &rows) ||
          !run(conn, drop_node_sql, them, "ending an expired queue lease", error))
        return false;
      const std::uint64_t taken = pg::changed(rows.get());
      claim.taken_over += taken;
      ++claim.nodes_taken_over;
      log::system().warn(
          "queues: node {} let its lease expire; this node ({}) takes over its {} queue key(s) and "
          "{} queued delivery(ies)",
          gone, node_, pg::changed(keys.get()), taken);
    }
  }

  if (!run(conn, take_free_keys_sql, me, "taking free queue keys", error)) return false;
  pg::ResultPtr handed;
  const std::string hand_over = std::string(hand_over_sql_head) + std::string(postgres_delivery_columns);
  if (!run(conn, hand_over, me, "claiming queued deliveries", error, &handed)) return false;
  for (int row = 0; row < pg::rows(handed.get()); ++row) {
    Delivery d = postgres_delivery_from_row(handed.get(), row);
    d.held = true;
    claim.deliveries.push_back(std::move(d));
  }
  std::sort(claim.deliveries.begin(), claim.deliveries.end(),
            [](const Delivery& a, const Delivery& b) { return a.id < b.id; });
  return true;
}

bool PostgresQueueOwners::release(pg_conn* conn, std::string& error) const {
  pg::Params me;
  me.text(node_);
  return run(conn, unhold_rows_sql, me, "giving up deliveries", error) &&
         run(conn, drop_keys_sql, me, "giving up queue keys", error) &&
         run(conn, drop_node_sql, me, "ending the queue lease", error);
}

}  // namespace qiao
