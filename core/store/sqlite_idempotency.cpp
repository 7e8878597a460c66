#include "core/store/sqlite_idempotency.hpp"

#include <sqlite3.h>

#include <array>

namespace qiao {

namespace {

using sqlite::bind_blob;
using sqlite::bind_text;
using sqlite::column_string;
using sqlite::from_micros;
using sqlite::to_micros;

constexpr std::string_view find_sql =
    "SELECT message_id, claimed_at, expires_at, answered, status, content_type, headers, body "
    "FROM idempotency_keys WHERE flow_id = ? AND key = ?";
constexpr std::string_view take_sql =
    "INSERT OR REPLACE INTO idempotency_keys (flow_id, key, message_id, claimed_at, expires_at, answered) "
    "VALUES (?, ?, ?, ?, ?, 0)";
constexpr std::string_view answer_sql =
    "UPDATE idempotency_keys SET answered = 1, status = ?, content_type = ?, headers = ?, body = ? "
    "WHERE flow_id = ? AND key = ? AND message_id = ?";
constexpr std::string_view release_sql =
    "DELETE FROM idempotency_keys WHERE flow_id = ? AND key = ? AND message_id = ? AND answered = 0";
constexpr std::string_view prune_sql = "DELETE FROM idempotency_keys WHERE expires_at <= ?";

constexpr auto prune_every = std::chrono::minutes(5);

}  // namespace

bool SqliteIdempotencyWriter::prepare(sqlite3* db) {
  db_ = db;
  const std::array<std::pair<std::string_view, sqlite::StmtPtr*>, 5> statements = {{
      {find_sql, &find_},
      {take_sql, &take_},
      {answer_sql, &answer_},
      {release_sql, &release_},
      {prune_sql, &prune_},
  }};
  return sqlite::prepare_all(db, statements);
}

bool SqliteIdempotencyWriter::claim(const IdempotencyClaim& claim, IdempotencyClaimResult& result, std::string& error) {
  sqlite3_stmt* find = find_.get();
  bind_text(find, 1, claim.flow_id);
  bind_text(find, 2, claim.key);
  const int rc = sqlite3_step(find);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    error = "store: reading an idempotency key failed: " + sqlite::message(db_);
    sqlite3_reset(find);
    sqlite3_clear_bindings(find);
    return false;
  }
  bool take = true;
  if (rc == SQLITE_ROW && from_micros(sqlite3_column_int64(find, 2)) > claim.now) {
    result.holder = column_string(find, 0);
    const auto claimed_at = from_micros(sqlite3_column_int64(find, 1));
    if (sqlite3_column_int(find, 3) != 0) {
      take = false;
      result.state = IdempotencyClaimResult::State::answered;
      IdempotencyAnswer answer;
      answer.message_id = result.holder;
      answer.status = sqlite3_column_int(find, 4);
      answer.content_type = column_string(find, 5);
      answer.headers = column_string(find, 6);
      answer.body = column_string(find, 7);
      result.answer = std::move(answer);
    } else if (result.holder != claim.message_id && claimed_at + claim.lease > claim.now) {
      take = false;
      result.state = IdempotencyClaimResult::State::pending;
    }
  }
  sqlite3_reset(find);
  sqlite3_clear_bindings(find);
  if (!take) return true;

  result = IdempotencyClaimResult{};
  result.state = IdempotencyClaimResult::State::claimed;
  result.holder = claim.message_id;
  sqlite3_stmt* s = take_.get();
  bind_text(s, 1, claim.flow_id);
  bind_text(s, 2, claim.key);
  bind_text(s, 3, claim.message_id);
  sqlite3_bind_int64(s, 4, to_micros(claim.now));
  sqlite3_bind_int64(s, 5, to_micros(claim.expires_at));
  return sqlite::step_done(db_, s, "claiming an idempotency key", error);
}

bool SqliteIdempotencyWriter::settle(const IdempotencySettle& settle, std::string& error) {
  if (settle.answer) {
    sqlite3_stmt* s = answer_.get();
    sqlite3_bind_int(s, 1, settle.answer->status);
    bind_text(s, 2, settle.answer->content_type);
    bind_blob(s, 3, settle.answer->headers);
    bind_blob(s, 4, settle.answer->body);
    bind_text(s, 5, settle.flow_id);
    bind_text(s, 6, settle.key);
    bind_text(s, 7, settle.message_id);
    return sqlite::step_done(db_, s, "remembering an idempotent answer", error);
  }
  sqlite3_stmt* s = release_.get();
  bind_text(s, 1, settle.flow_id);
  bind_text(s, 2, settle.key);
  bind_text(s, 3, settle.message_id);
  return sqlite::step_done(db_, s, "releasing an idempotency key", error);
}

bool SqliteIdempotencyWriter::prune(std::chrono::system_clock::time_point now, std::string& error) {
  if (now - pruned_at_ < prune_every) return true;
  sqlite3_bind_int64(prune_.get(), 1, to_micros(now));
  if (!sqlite::step_done(db_, prune_.get(), "removing expired idempotency keys", error)) return false;
  pruned_at_ = now;
  return true;
}

}  // namespace qiao
