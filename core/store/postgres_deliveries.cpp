#include "core/store/postgres_deliveries.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <limits>
#include <map>

#include "core/store/pg_util.hpp"
#include "core/store/sqlite_util.hpp"

namespace qiao {

namespace {

using sqlite::from_micros;
using sqlite::to_micros;

// Ids are drawn from the identity column's sequence first, all of a batch's in one round trip,
// and handed out in ascending order, so that deliveries queued together get increasing ids
// whatever order the server drew them in; the rows then go in a few multi-row inserts.
constexpr std::string_view draw_ids_sql =
    "SELECT nextval(pg_get_serial_sequence('deliveries', 'id')) FROM generate_series(1, $1)";
constexpr std::string_view insert_sql =
    "INSERT INTO deliveries (id, endpoint, order_key, message_id, flow_id, request, max_attempts, backoff_ms, "
    "max_backoff_ms, jitter, state, attempts, total_attempts, created_at, next_attempt_at, last_error) "
    "OVERRIDING SYSTEM VALUE VALUES ";
constexpr std::size_t rows_per_insert = 1000;
// A start recorded again (the same number) replaces the attempt, as SQLite's INSERT OR REPLACE.
constexpr std::string_view insert_attempt_sql =
    "INSERT INTO delivery_attempts (delivery_id, number, started_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (delivery_id, number) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = NULL, "
    "outcome = NULL, error = ''";
constexpr std::string_view count_attempt_sql = "UPDATE deliveries SET attempts = $1, total_attempts = $2 WHERE id = $3";
constexpr std::string_view finish_attempt_sql =
    "UPDATE delivery_attempts SET finished_at = $1, outcome = $2, error = $3 WHERE delivery_id = $4 AND number = $5";
constexpr std::string_view schedule_sql = "UPDATE deliveries SET next_attempt_at = $1, last_error = $2 WHERE id = $3";
constexpr std::string_view bury_sql =
    "WITH buried AS (UPDATE deliveries SET state = 1, last_error = $1 WHERE id = $2 RETURNING endpoint, order_key) "
    "DELETE FROM queue_keys k USING buried b WHERE k.endpoint = b.endpoint AND k.order_key = b.order_key "
    "AND k.node = $3 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint = b.endpoint "
    "AND d.order_key = b.order_key AND d.state = 0 AND d.id <> $2)";
// A delivered row goes, and its key with it when the node's own key has no queued row left (the
// statement still sees the row it deletes, hence `d.id <> $1`).
constexpr std::string_view remove_sql =
    "WITH gone AS (DELETE FROM deliveries WHERE id = $1 RETURNING endpoint, order_key) "
    "DELETE FROM queue_keys k USING gone g WHERE k.endpoint = g.endpoint AND k.order_key = g.order_key "
    "AND k.node = $2 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint = g.endpoint "
    "AND d.order_key = g.order_key AND d.state = 0 AND d.id <> $1)";
constexpr std::string_view remove_attempts_sql = "DELETE FROM delivery_attempts WHERE delivery_id = $1";
// A delivered delivery, kept in the journal's day it was delivered on; the attempt that delivered
// it has no outcome yet in the queue's table: it is the last one.
constexpr std::string_view keep_delivery_sql =
    "INSERT INTO journal_deliveries (id, message_id, endpoint, order_key, flow_id, created_at, delivered_at, "
    "total_attempts) SELECT id, message_id, endpoint, order_key, flow_id, created_at, $2, total_attempts "
    "FROM deliveries WHERE id = $1 ON CONFLICT DO NOTHING";
constexpr std::string_view keep_attempts_sql =
    "INSERT INTO journal_attempts (delivery_id, number, delivered_at, started_at, finished_at, outcome, error) "
    "SELECT delivery_id, number, $2, started_at, coalesce(finished_at, $2), coalesce(outcome, 'ok'), error "
    "FROM delivery_attempts WHERE delivery_id = $1 ON CONFLICT DO NOTHING";
constexpr std::string_view interrupt_sql =
    "UPDATE delivery_attempts SET finished_at = $1, outcome = 'interrupted', error = $2 "
    "WHERE delivery_id = $3 AND finished_at IS NULL";
// A replayed dead letter is held by no node: the holder of its key, or whichever node takes the
// key when none holds it, claims it (Store::claim_deliveries), so it goes out once, in key order.
constexpr std::string_view replay_sql =
    "UPDATE deliveries SET state = 0, attempts = 0, next_attempt_at = $1, node = NULL WHERE id = $2 AND state = 1";
constexpr std::string_view discard_sql = "DELETE FROM deliveries WHERE id = $1 AND state = 1";

bool run(pg_conn* conn, std::string_view sql, const pg::Params& params, std::string_view what, std::string& error,
         std::uint64_t* changed = nullptr) {
  std::string reason;
  pg::ResultPtr result = pg::exec(conn, sql, params, reason);
  if (!result) {
    error = "store: " + std::string(what) + " failed: " + reason;
    return false;
  }
  if (changed) *changed = pg::changed(result.get());
  return true;
}

}  // namespace

const std::string_view postgres_delivery_columns =
    "d.id, d.endpoint, d.order_key, d.message_id, d.flow_id, d.max_attempts, d.backoff_ms, d.max_backoff_ms, "
    "d.jitter, d.state, d.attempts, d.total_attempts, d.created_at, d.next_attempt_at, d.last_error, "
    "EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery_id = d.id AND a.finished_at IS NULL)";

Delivery postgres_delivery_from_row(const pg_result* r, int row) {
  Delivery d;
  d.id = pg::get_int(r, row, 0);
  d.endpoint = pg::get_string(r, row, 1);
  d.order_key = pg::get_string(r, row, 2);
  d.message_id = pg::get_string(r, row, 3);
  d.flow_id = pg::get_string(r, row, 4);
  d.retry.attempts = static_cast<int>(pg::get_int(r, row, 5));
  d.retry.backoff = std::chrono::milliseconds(pg::get_int(r, row, 6));
  d.retry.max_backoff = std::chrono::milliseconds(pg::get_int(r, row, 7));
  d.retry.jitter = pg::get_bool(r, row, 8);
  d.state = pg::get_int(r, row, 9) == 1 ? DeliveryState::dead : DeliveryState::queued;
  d.attempts = static_cast<int>(pg::get_int(r, row, 10));
  d.total_attempts = static_cast<int>(pg::get_int(r, row, 11));
  d.created_at = from_micros(pg::get_int(r, row, 12));
  d.next_attempt_at = from_micros(pg::get_int(r, row, 13));
  d.last_error = pg::get_string(r, row, 14);
  d.interrupted = pg::get_bool(r, row, 15);
  return d;
}

bool PostgresDeliveryWriter::enqueue(pg_conn* conn, const std::vector<std::vector<Delivery>*>& groups,
                                     std::string& error) {
  std::size_t count = 0;
  for (const auto* group : groups) count += group->size();
  if (count == 0) return true;
  std::string reason;
  pg::Params p;
  p.int64(static_cast<std::int64_t>(count));
  pg::ResultPtr drawn = pg::exec(conn, draw_ids_sql, p, reason);
  if (!drawn || static_cast<std::size_t>(pg::rows(drawn.get())) != count) {
    error = "store: drawing delivery ids failed: " + (drawn ? std::string("too few came back") : reason);
    return false;
  }
  std::vector<std::int64_t> ids;
  ids.reserve(count);
  for (int row = 0; row < pg::rows(drawn.get()); ++row) ids.push_back(pg::get_int(drawn.get(), row, 0));
  std::sort(ids.begin(), ids.end());

  std::string sql;
  std::size_t rows = 0;
  auto send = [&]() -> bool {
    if (rows == 0) return true;
    const bool ok = pg::exec(conn, sql, p, reason) != nullptr;
    if (!ok) error = "store: queueing a delivery failed: " + reason;
    p.clear();
    rows = 0;
    return ok;
  };
  p.clear();
  std::size_t next = 0;
  for (auto* group : groups) {
    for (Delivery& d : *group) {
      if (rows == rows_per_insert && !send()) return false;
      d.id = ids[next++];
      if (rows == 0) sql = insert_sql;
      else sql += ", ";
      const int first = p.size();
      p.int64(d.id)
          .text(d.endpoint)
          .bytes(d.order_key)
          .text(d.message_id)
          .text(d.flow_id)
          .bytes(d.request)
          .int32(d.retry.attempts)
          .int64(d.retry.backoff.count())
          .int64(d.retry.max_backoff.count())
          .boolean(d.retry.jitter)
          .int64(to_micros(d.created_at))
          .int64(to_micros(d.next_attempt_at));
      auto at = [&](int i) { return '$' + std::to_string(first + i); };
      sql += '(';
      for (int i = 1; i <= 10; ++i) sql += at(i) + ", ";
      // A new delivery: queued (state 0), not attempted, no error yet.
      sql += "0, 0, 0, " + at(11) + ", " + at(12) + ", '')";
      ++rows;
    }
  }
  return send();
}

bool PostgresDeliveryWriter::apply(pg_conn* conn, const DeliveryChange& c, const std::string& node, bool keep_delivered,
                                   std::string& error) {
  using Kind = DeliveryChange::Kind;
  const std::int64_t at = to_micros(c.at);
  pg::Params p;
  auto finish_attempt = [&] {
    pg::Params f;
    f.int64(at).text(c.outcome).text(c.error).int64(c.id).int32(c.total_attempt);
    return run(conn, finish_attempt_sql, f, "recording a delivery attempt", error);
  };
  switch (c.kind) {
    case Kind::started: {
      p.int64(c.id).int32(c.total_attempt).int64(at);
      if (!run(conn, insert_attempt_sql, p, "recording a delivery attempt", error)) return false;
      p.clear();
      p.int32(c.attempt).int32(c.total_attempt).int64(c.id);
      return run(conn, count_attempt_sql, p, "counting a delivery attempt", error);
    }
    case Kind::delivered: {
      if (keep_delivered) {
        pg::Params keep;
        keep.int64(c.id).int64(at);
        if (!run(conn, keep_delivery_sql, keep, "keeping a delivered message in the journal", error) ||
            !run(conn, keep_attempts_sql, keep, "keeping a delivered message's attempts in the journal", error))
          return false;
      }
      p.int64(c.id).text(node);
      pg::Params id;
      id.int64(c.id);
      return run(conn, remove_sql, p, "removing a delivered message", error) &&
             run(conn, remove_attempts_sql, id, "removing a delivered message's attempts", error);
    }
    case Kind::retry_later: {
      if (!finish_attempt()) return false;
      p.int64(to_micros(c.next_attempt_at)).text(c.error).int64(c.id);
      return run(conn, schedule_sql, p, "scheduling a retry", error);
    }
    case Kind::dead: {
      if (!finish_attempt()) return false;
      p.text(c.error).int64(c.id).text(node);
      return run(conn, bury_sql, p, "keeping a dead letter", error);
    }
    case Kind::interrupted: {
      p.int64(at).text(c.error).int64(c.id);
      return run(conn, interrupt_sql, p, "closing an interrupted attempt", error);
    }
    case Kind::replay: {
      p.int64(to_micros(c.next_attempt_at)).int64(c.id);
      return run(conn, replay_sql, p, "replaying a dead letter", error);
    }
    case Kind::discard: {
      p.int64(c.id);
      std::uint64_t removed = 0;
      if (!run(conn, discard_sql, p, "discarding a dead letter", error, &removed)) return false;
      // Only when the row went: a queued delivery is not discarded, and keeps its attempts.
      if (removed == 0) return true;
      return run(conn, remove_attempts_sql, p, "discarding a dead letter's attempts", error);
    }
  }
  return true;
}

Expected<std::vector<Delivery>> read_postgres_deliveries(pg_conn* conn, const DeliveryQuery& q,
                                                         const std::string& where, const std::string& node) {
  auto fail = [&](const std::string& reason) {
    return Error{ErrorKind::unavailable, "store: reading the queues of '" + where + "' failed: " + reason};
  };
  pg::Params p;
  p.text(node);
  std::string sql = "SELECT " + std::string(postgres_delivery_columns) +
                    ", (d.state = 0 AND d.node IS NOT NULL "
                    "AND d.node = $1)";
  if (q.with_requests) sql += ", request";
  sql += " FROM deliveries d";
  const char* separator = " WHERE ";
  // The condition around the parameter just added: `before` $N `after`.
  auto where_clause = [&](std::string_view before, std::string_view after = "") {
    sql += separator;
    sql += before;
    sql += "$" + std::to_string(p.size());
    sql += after;
    separator = " AND ";
  };
  if (q.endpoint) {
    p.text(*q.endpoint);
    where_clause("endpoint = ");
  }
  if (q.state) {
    p.int32(*q.state == DeliveryState::dead ? 1 : 0);
    where_clause("state = ");
  }
  if (!q.ids.empty()) {
    p.int64_array(q.ids);
    where_clause("id = ANY(", ")");
  }
  if (q.since) {
    p.int64(to_micros(*q.since));
    where_clause("created_at >= ");
  }
  if (q.until) {
    p.int64(to_micros(*q.until));
    where_clause("created_at < ");
  }
  // strpos, not LIKE: a plain substring, so '%' and '_' in what an operator types mean themselves.
  if (q.error_contains) {
    p.text(*q.error_contains);
    where_clause("strpos(last_error, ", ") > 0");
  }
  if (q.message_id) {
    p.text(*q.message_id);
    where_clause("message_id = ");
  }
  sql += " ORDER BY id";
  constexpr auto max_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  if (q.limit) {
    p.int64(static_cast<std::int64_t>(std::min(q.limit, max_limit)));
    sql += " LIMIT $" + std::to_string(p.size());
  }

  std::string reason;
  pg::ResultPtr result = pg::exec(conn, sql, p, reason);
  if (!result) return fail(reason);
  const pg_result* r = result.get();
  std::vector<Delivery> out;
  out.reserve(static_cast<std::size_t>(pg::rows(r)));
  for (int row = 0; row < pg::rows(r); ++row) {
    Delivery& d = out.emplace_back(postgres_delivery_from_row(r, row));
    d.held = pg::get_bool(r, row, 16);
    if (q.with_requests) d.request = pg::get_string(r, row, 17);
  }
  if (!q.with_history || out.empty()) return out;

  // One query for every delivery's attempts rather than one per delivery: a round trip each
  // would cost more than the rows.
  std::map<std::int64_t, Delivery*> by_id;
  std::vector<std::int64_t> ids;
  for (Delivery& d : out) {
    by_id[d.id] = &d;
    ids.push_back(d.id);
  }
  pg::Params h;
  h.int64_array(ids);
  result = pg::exec(conn,
                    "SELECT delivery_id, number, started_at, finished_at, outcome, error FROM delivery_attempts "
                    "WHERE delivery_id = ANY($1) ORDER BY delivery_id, number",
                    h, reason);
  if (!result) return fail(reason);
  r = result.get();
  for (int row = 0; row < pg::rows(r); ++row) {
    const auto found = by_id.find(pg::get_int(r, row, 0));
    if (found == by_id.end()) continue;
    DeliveryAttempt& a = found->second->history.emplace_back();
    a.number = static_cast<int>(pg::get_int(r, row, 1));
    a.started_at = from_micros(pg::get_int(r, row, 2));
    if (!pg::is_null(r, row, 3)) a.finished_at = from_micros(pg::get_int(r, row, 3));
    a.outcome = pg::get_string(r, row, 4);
    a.error = pg::get_string(r, row, 5);
  }
  return out;
}

Expected<std::vector<Delivery>> read_postgres_delivered(pg_conn* conn, const std::string& message_id,
                                                        const std::string& where) {
  auto fail = [&](const std::string& reason) {
    return Error{ErrorKind::unavailable, "store: reading the delivered messages of '" + where + "' failed: " + reason};
  };
  pg::Params p;
  p.text(message_id);
  std::string reason;
  // Every day's partition is probed by message id; a day's attempts are in that day too.
  pg::ResultPtr result = pg::exec(conn,
                                  "SELECT id, endpoint, order_key, flow_id, created_at, delivered_at, total_attempts "
                                  "FROM journal_deliveries WHERE message_id = $1 ORDER BY id",
                                  p, reason);
  if (!result) return fail(reason);
  std::vector<Delivery> out;
  std::vector<std::int64_t> ids;
  for (int row = 0; row < pg::rows(result.get()); ++row) {
    Delivery& d = out.emplace_back();
    d.id = pg::get_int(result.get(), row, 0);
    d.endpoint = pg::get_string(result.get(), row, 1);
    d.order_key = pg::get_string(result.get(), row, 2);
    d.message_id = message_id;
    d.flow_id = pg::get_string(result.get(), row, 3);
    d.state = DeliveryState::delivered;
    d.created_at = from_micros(pg::get_int(result.get(), row, 4));
    d.delivered_at = from_micros(pg::get_int(result.get(), row, 5));
    d.total_attempts = static_cast<int>(pg::get_int(result.get(), row, 6));
    ids.push_back(d.id);
  }
  if (out.empty()) return out;
  pg::Params h;
  h.int64_array(ids);
  result = pg::exec(conn,
                    "SELECT delivery_id, number, started_at, finished_at, outcome, error FROM journal_attempts "
                    "WHERE delivery_id = ANY($1) ORDER BY delivery_id, number",
                    h, reason);
  if (!result) return fail(reason);
  for (int row = 0; row < pg::rows(result.get()); ++row) {
    const std::int64_t id = pg::get_int(result.get(), row, 0);
    const auto d = std::find_if(out.begin(), out.end(), [&](const Delivery& x) { return x.id == id; });
    if (d == out.end()) continue;
    DeliveryAttempt& a = d->history.emplace_back();
    a.number = static_cast<int>(pg::get_int(result.get(), row, 1));
    a.started_at = from_micros(pg::get_int(result.get(), row, 2));
    if (!pg::is_null(result.get(), row, 3)) a.finished_at = from_micros(pg::get_int(result.get(), row, 3));
    a.outcome = pg::get_string(result.get(), row, 4);
    a.error = pg::get_string(result.get(), row, 5);
    d->attempts = static_cast<int>(d->history.size());
  }
  return out;
}

}  // namespace qiao
