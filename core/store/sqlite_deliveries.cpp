#include "core/store/sqlite_deliveries.hpp"

#include <sqlite3.h>

#include <array>
#include <limits>
#include <map>

namespace qiao {

namespace {

using sqlite::bind_blob;
using sqlite::bind_text;
using sqlite::column_string;
using sqlite::from_micros;
using sqlite::to_micros;

constexpr std::string_view insert_sql =
    "INSERT INTO deliveries (endpoint, order_key, message_id, flow_id, request, max_attempts, backoff_ms, "
    "max_backoff_ms, jitter, state, attempts, total_attempts, created_at, next_attempt_at, last_error) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, '')";
constexpr std::string_view insert_attempt_sql =
    "INSERT OR REPLACE INTO delivery_attempts (delivery_id, number, started_at) VALUES (?, ?, ?)";
constexpr std::string_view count_attempt_sql = "UPDATE deliveries SET attempts = ?, total_attempts = ? WHERE id = ?";
constexpr std::string_view finish_attempt_sql =
    "UPDATE delivery_attempts SET finished_at = ?, outcome = ?, error = ? WHERE delivery_id = ? AND number = ?";
constexpr std::string_view schedule_sql = "UPDATE deliveries SET next_attempt_at = ?, last_error = ? WHERE id = ?";
constexpr std::string_view bury_sql = "UPDATE deliveries SET state = 1, last_error = ? WHERE id = ?";
constexpr std::string_view remove_sql = "DELETE FROM deliveries WHERE id = ?";
constexpr std::string_view remove_attempts_sql = "DELETE FROM delivery_attempts WHERE delivery_id = ?";
constexpr std::string_view interrupt_sql =
    "UPDATE delivery_attempts SET finished_at = ?, outcome = 'interrupted', error = ? "
    "WHERE delivery_id = ? AND finished_at IS NULL";
constexpr std::string_view replay_sql =
    "UPDATE deliveries SET state = 0, attempts = 0, next_attempt_at = ? WHERE id = ? AND state = 1";
constexpr std::string_view discard_sql = "DELETE FROM deliveries WHERE id = ? AND state = 1";

constexpr std::string_view select_columns =
    "SELECT id, endpoint, order_key, message_id, flow_id, max_attempts, backoff_ms, max_backoff_ms, jitter, state, "
    "attempts, total_attempts, created_at, next_attempt_at, last_error, "
    "EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery_id = d.id AND a.finished_at IS NULL)";

}  // namespace

bool SqliteDeliveryWriter::prepare(sqlite3* db) {
  db_ = db;
  const std::array<std::pair<std::string_view, sqlite::StmtPtr*>, 11> statements = {{
      {insert_sql, &insert_},
      {insert_attempt_sql, &insert_attempt_},
      {count_attempt_sql, &count_attempt_},
      {finish_attempt_sql, &finish_attempt_},
      {schedule_sql, &schedule_},
      {bury_sql, &bury_},
      {remove_sql, &remove_},
      {remove_attempts_sql, &remove_attempts_},
      {interrupt_sql, &interrupt_},
      {replay_sql, &replay_},
      {discard_sql, &discard_},
  }};
  return sqlite::prepare_all(db, statements);
}

bool SqliteDeliveryWriter::enqueue(std::vector<Delivery>& deliveries, std::string& error) {
  sqlite3_stmt* s = insert_.get();
  for (Delivery& d : deliveries) {
    bind_text(s, 1, d.endpoint);
    bind_text(s, 2, d.order_key);
    bind_text(s, 3, d.message_id);
    bind_text(s, 4, d.flow_id);
    bind_blob(s, 5, d.request);
    sqlite3_bind_int(s, 6, d.retry.attempts);
    sqlite3_bind_int64(s, 7, d.retry.backoff.count());
    sqlite3_bind_int64(s, 8, d.retry.max_backoff.count());
    sqlite3_bind_int(s, 9, d.retry.jitter ? 1 : 0);
    sqlite3_bind_int64(s, 10, to_micros(d.created_at));
    sqlite3_bind_int64(s, 11, to_micros(d.next_attempt_at));
    if (!sqlite::step_done(db_, s, "queueing a delivery", error)) return false;
    d.id = sqlite3_last_insert_rowid(db_);
  }
  return true;
}

bool SqliteDeliveryWriter::apply(const DeliveryChange& c, std::string& error) {
  using Kind = DeliveryChange::Kind;
  const std::int64_t at = to_micros(c.at);
  auto finish_attempt = [&] {
    sqlite3_stmt* s = finish_attempt_.get();
    sqlite3_bind_int64(s, 1, at);
    bind_text(s, 2, c.outcome);
    bind_text(s, 3, c.error);
    sqlite3_bind_int64(s, 4, c.id);
    sqlite3_bind_int(s, 5, c.total_attempt);
    return sqlite::step_done(db_, s, "recording a delivery attempt", error);
  };
  switch (c.kind) {
    case Kind::started: {
      sqlite3_stmt* s = insert_attempt_.get();
      sqlite3_bind_int64(s, 1, c.id);
      sqlite3_bind_int(s, 2, c.total_attempt);
      sqlite3_bind_int64(s, 3, at);
      if (!sqlite::step_done(db_, s, "recording a delivery attempt", error)) return false;
      s = count_attempt_.get();
      sqlite3_bind_int(s, 1, c.attempt);
      sqlite3_bind_int(s, 2, c.total_attempt);
      sqlite3_bind_int64(s, 3, c.id);
      return sqlite::step_done(db_, s, "counting a delivery attempt", error);
    }
    case Kind::delivered: {
      sqlite3_bind_int64(remove_.get(), 1, c.id);
      if (!sqlite::step_done(db_, remove_.get(), "removing a delivered message", error)) return false;
      sqlite3_bind_int64(remove_attempts_.get(), 1, c.id);
      return sqlite::step_done(db_, remove_attempts_.get(), "removing a delivered message's attempts", error);
    }
    case Kind::retry_later: {
      if (!finish_attempt()) return false;
      sqlite3_stmt* s = schedule_.get();
      sqlite3_bind_int64(s, 1, to_micros(c.next_attempt_at));
      bind_text(s, 2, c.error);
      sqlite3_bind_int64(s, 3, c.id);
      return sqlite::step_done(db_, s, "scheduling a retry", error);
    }
    case Kind::dead: {
      if (!finish_attempt()) return false;
      sqlite3_stmt* s = bury_.get();
      bind_text(s, 1, c.error);
      sqlite3_bind_int64(s, 2, c.id);
      return sqlite::step_done(db_, s, "keeping a dead letter", error);
    }
    case Kind::interrupted: {
      sqlite3_stmt* s = interrupt_.get();
      sqlite3_bind_int64(s, 1, at);
      bind_text(s, 2, c.error);
      sqlite3_bind_int64(s, 3, c.id);
      return sqlite::step_done(db_, s, "closing an interrupted attempt", error);
    }
    case Kind::replay: {
      sqlite3_stmt* s = replay_.get();
      sqlite3_bind_int64(s, 1, to_micros(c.next_attempt_at));
      sqlite3_bind_int64(s, 2, c.id);
      return sqlite::step_done(db_, s, "replaying a dead letter", error);
    }
    case Kind::discard: {
      sqlite3_bind_int64(discard_.get(), 1, c.id);
      if (!sqlite::step_done(db_, discard_.get(), "discarding a dead letter", error)) return false;
      // Only when the row went: a queued delivery is not discarded, and keeps its attempts.
      if (sqlite3_changes(db_) == 0) return true;
      sqlite3_bind_int64(remove_attempts_.get(), 1, c.id);
      return sqlite::step_done(db_, remove_attempts_.get(), "discarding a dead letter's attempts", error);
    }
  }
  return true;
}

DeliveryAttempt attempt_from_row(sqlite3_stmt* row) {
  DeliveryAttempt a;
  a.number = sqlite3_column_int(row, 0);
  a.started_at = from_micros(sqlite3_column_int64(row, 1));
  if (sqlite3_column_type(row, 2) != SQLITE_NULL) a.finished_at = from_micros(sqlite3_column_int64(row, 2));
  a.outcome = column_string(row, 3);
  a.error = column_string(row, 4);
  return a;
}

Expected<std::vector<Delivery>> read_deliveries(sqlite3* db, const DeliveryQuery& q, const std::string& path) {
  auto fail = [&] {
    return Error{ErrorKind::unavailable, "store: reading the queues of '" + path + "' failed: " + sqlite::message(db)};
  };
  std::string sql(select_columns);
  if (q.with_requests) sql += ", request";
  sql += " FROM deliveries d";
  const char* separator = " WHERE ";
  auto where = [&](std::string condition) {
    sql += separator;
    sql += condition;
    separator = " AND ";
  };
  if (q.endpoint) where("endpoint = ?");
  if (q.state) where("state = ?");
  if (!q.ids.empty()) {
    std::string list = "id IN (";
    for (std::size_t i = 0; i < q.ids.size(); ++i) list += i ? ",?" : "?";
    where(list + ")");
  }
  if (q.since) where("created_at >= ?");
  if (q.until) where("created_at < ?");
  if (q.error_contains) where("instr(last_error, ?) > 0");
  if (q.message_id) where("message_id = ?");
  sql += " ORDER BY id";
  if (q.limit) sql += " LIMIT ?";

  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return fail();
  }
  sqlite::StmtPtr stmt(raw);
  int index = 1;
  if (q.endpoint) bind_text(raw, index++, *q.endpoint);
  if (q.state) sqlite3_bind_int(raw, index++, *q.state == DeliveryState::dead ? 1 : 0);
  for (std::int64_t id : q.ids) sqlite3_bind_int64(raw, index++, id);
  if (q.since) sqlite3_bind_int64(raw, index++, to_micros(*q.since));
  if (q.until) sqlite3_bind_int64(raw, index++, to_micros(*q.until));
  if (q.error_contains) bind_text(raw, index++, *q.error_contains);
  if (q.message_id) bind_text(raw, index++, *q.message_id);
  constexpr auto max_limit = static_cast<std::size_t>(std::numeric_limits<sqlite3_int64>::max());
  if (q.limit) sqlite3_bind_int64(raw, index, static_cast<sqlite3_int64>(std::min(q.limit, max_limit)));

  std::vector<Delivery> out;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    Delivery& d = out.emplace_back();
    d.id = sqlite3_column_int64(raw, 0);
    d.endpoint = column_string(raw, 1);
    d.order_key = column_string(raw, 2);
    d.message_id = column_string(raw, 3);
    d.flow_id = column_string(raw, 4);
    d.retry.attempts = sqlite3_column_int(raw, 5);
    d.retry.backoff = std::chrono::milliseconds(sqlite3_column_int64(raw, 6));
    d.retry.max_backoff = std::chrono::milliseconds(sqlite3_column_int64(raw, 7));
    d.retry.jitter = sqlite3_column_int(raw, 8) != 0;
    d.state = sqlite3_column_int(raw, 9) == 1 ? DeliveryState::dead : DeliveryState::queued;
    d.attempts = sqlite3_column_int(raw, 10);
    d.total_attempts = sqlite3_column_int(raw, 11);
    d.created_at = from_micros(sqlite3_column_int64(raw, 12));
    d.next_attempt_at = from_micros(sqlite3_column_int64(raw, 13));
    d.last_error = column_string(raw, 14);
    d.interrupted = sqlite3_column_int(raw, 15) != 0;
    if (q.with_requests) d.request = column_string(raw, 16);
  }
  if (rc != SQLITE_DONE) return fail();
  if (!q.with_history || out.empty()) return out;

  std::map<std::int64_t, Delivery*> by_id;
  for (Delivery& d : out) by_id[d.id] = &d;
  constexpr std::string_view history_sql =
      "SELECT number, started_at, finished_at, outcome, error FROM delivery_attempts WHERE delivery_id = ? "
      "ORDER BY number";
  raw = nullptr;
  if (sqlite3_prepare_v2(db, history_sql.data(), static_cast<int>(history_sql.size()), &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return fail();
  }
  sqlite::StmtPtr history(raw);
  for (auto& [id, d] : by_id) {
    sqlite3_bind_int64(raw, 1, id);
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) d->history.push_back(attempt_from_row(raw));
    sqlite3_reset(raw);
    if (rc != SQLITE_DONE) return fail();
  }
  return out;
}

}  // namespace qiao
