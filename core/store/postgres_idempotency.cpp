#include "core/store/postgres_idempotency.hpp"

#include "core/store/pg_util.hpp"
#include "core/store/sqlite_util.hpp"

namespace qiao {

namespace {

using sqlite::to_micros;

// Inserts the key, or takes over its row when the key is free for this message: its ttl has
// passed, or it is unanswered and either already this message's or older than the lease (the run
// that claimed it died). A row comes back only when this message holds the key now. When the row
// stays as it was, ON CONFLICT has still locked it, so the read that follows sees what decided.
// $1 flow, $2 key, $3 message, $4 now, $5 expires_at, $6 lease (microseconds).
constexpr std::string_view take_sql =
    "INSERT INTO idempotency_keys AS k (flow_id, key, message_id, claimed_at, expires_at, answered) "
    "VALUES ($1, $2, $3, $4, $5, false) "
    "ON CONFLICT (flow_id, key) DO UPDATE SET message_id = EXCLUDED.message_id, claimed_at = EXCLUDED.claimed_at, "
    "expires_at = EXCLUDED.expires_at, answered = false, status = NULL, content_type = NULL, headers = NULL, "
    "body = NULL "
    "WHERE k.expires_at <= $4 OR (NOT k.answered AND (k.message_id = $3 OR k.claimed_at + $6 <= $4)) "
    "RETURNING 1";
constexpr std::string_view find_sql =
    "SELECT message_id, answered, status, content_type, headers, body FROM idempotency_keys "
    "WHERE flow_id = $1 AND key = $2";
constexpr std::string_view answer_sql =
    "UPDATE idempotency_keys SET answered = true, status = $1, content_type = $2, headers = $3, body = $4 "
    "WHERE flow_id = $5 AND key = $6 AND message_id = $7";
constexpr std::string_view release_sql =
    "DELETE FROM idempotency_keys WHERE flow_id = $1 AND key = $2 AND message_id = $3 AND NOT answered";
constexpr std::string_view prune_sql = "DELETE FROM idempotency_keys WHERE expires_at <= $1";

constexpr auto prune_every = std::chrono::minutes(5);

}  // namespace

bool PostgresIdempotencyWriter::claim(pg_conn* conn, const IdempotencyClaim& claim, IdempotencyClaimResult& result,
                                      std::string& error) {
  const std::int64_t lease_us = std::chrono::duration_cast<std::chrono::microseconds>(claim.lease).count();
  pg::Params p;
  p.text(claim.flow_id)
      .bytes(claim.key)
      .text(claim.message_id)
      .int64(to_micros(claim.now))
      .int64(to_micros(claim.expires_at))
      .int64(lease_us);
  std::string reason;
  pg::ResultPtr taken = pg::exec(conn, take_sql, p, reason);
  if (!taken) {
    error = "store: claiming an idempotency key failed: " + reason;
    return false;
  }
  result = IdempotencyClaimResult{};
  if (pg::rows(taken.get()) == 1) {
    result.state = IdempotencyClaimResult::State::claimed;
    result.holder = claim.message_id;
    return true;
  }

  pg::Params f;
  f.text(claim.flow_id).bytes(claim.key);
  pg::ResultPtr found = pg::exec(conn, find_sql, f, reason);
  if (!found || pg::rows(found.get()) != 1) {
    error = "store: reading an idempotency key failed: " + (found ? std::string("the key's row is gone") : reason);
    return false;
  }
  const pg_result* r = found.get();
  result.holder = pg::get_string(r, 0, 0);
  if (!pg::get_bool(r, 0, 1)) {
    result.state = IdempotencyClaimResult::State::pending;
    return true;
  }
  result.state = IdempotencyClaimResult::State::answered;
  IdempotencyAnswer answer;
  answer.message_id = result.holder;
  answer.status = static_cast<int>(pg::get_int(r, 0, 2));
  answer.content_type = pg::get_string(r, 0, 3);
  answer.headers = pg::get_string(r, 0, 4);
  answer.body = pg::get_string(r, 0, 5);
  result.answer = std::move(answer);
  return true;
}

bool PostgresIdempotencyWriter::settle(pg_conn* conn, const IdempotencySettle& settle, std::string& error) {
  pg::Params p;
  std::string reason;
  if (settle.answer) {
    p.int32(settle.answer->status)
        .bytes(settle.answer->content_type)
        .bytes(settle.answer->headers)
        .bytes(settle.answer->body)
        .text(settle.flow_id)
        .bytes(settle.key)
        .text(settle.message_id);
    if (pg::exec(conn, answer_sql, p, reason)) return true;
    error = "store: remembering an idempotent answer failed: " + reason;
    return false;
  }
  p.text(settle.flow_id).bytes(settle.key).text(settle.message_id);
  if (pg::exec(conn, release_sql, p, reason)) return true;
  error = "store: releasing an idempotency key failed: " + reason;
  return false;
}

bool PostgresIdempotencyWriter::prune(pg_conn* conn, std::chrono::system_clock::time_point now, std::string& error) {
  if (now - pruned_at_ < prune_every) return true;
  pg::Params p;
  p.int64(to_micros(now));
  std::string reason;
  if (!pg::exec(conn, prune_sql, p, reason)) {
    error = "store: removing expired idempotency keys failed: " + reason;
    return false;
  }
  pruned_at_ = now;
  return true;
}

}  // namespace qiao
