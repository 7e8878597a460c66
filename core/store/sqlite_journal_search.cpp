#include "core/store/sqlite_journal_search.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <string_view>
#include <variant>

#include "core/store/journal_row_bytes.hpp"
#include "core/store/sqlite_deliveries.hpp"
#include "core/store/sqlite_util.hpp"

namespace qiao {

using sqlite::bind_text;
using sqlite::column_string;
using sqlite::from_micros;
using sqlite::to_micros;

namespace {

constexpr std::string_view select_columns =
    "SELECT j.message_id, j.trace_id, j.flow_id, j.received_at, j.latency_us, j.outcome, j.status, j.source, "
    "j.error, j.request, j.reply, j.request_size, j.reply_size, j.request_truncated, j.reply_truncated, "
    "j.business_keys, j.steps";

JournalEntry read_entry(sqlite3_stmt* stmt) {
  JournalEntry e;
  e.message_id = column_string(stmt, 0);
  e.trace_id = column_string(stmt, 1);
  e.flow_id = column_string(stmt, 2);
  e.received_at = from_micros(sqlite3_column_int64(stmt, 3));
  e.latency_us = sqlite3_column_int64(stmt, 4);
  e.outcome = column_string(stmt, 5);
  e.status = sqlite3_column_int(stmt, 6);
  e.source = column_string(stmt, 7);
  e.error = column_string(stmt, 8);
  if (sqlite3_column_type(stmt, 9) != SQLITE_NULL) e.request = make_buffer(column_string(stmt, 9));
  e.reply = column_string(stmt, 10);
  // NULL sizes: a row of schema version 1, whose payloads are whole.
  if (e.request)
    e.request_size = sqlite3_column_type(stmt, 11) == SQLITE_NULL
                         ? e.request->size()
                         : static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 11));
  e.reply_size = sqlite3_column_type(stmt, 12) == SQLITE_NULL
                     ? e.reply.size()
                     : static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 12));
  e.request_truncated = sqlite3_column_int(stmt, 13) != 0;
  e.reply_truncated = sqlite3_column_int(stmt, 14) != 0;
  if (sqlite3_column_type(stmt, 15) != SQLITE_NULL) e.keys = decode_journal_keys(column_string(stmt, 15));
  if (sqlite3_column_type(stmt, 16) != SQLITE_NULL) e.steps = decode_journal_steps(column_string(stmt, 16));
  return e;
}

// The search as SQL and its parameters in order. Without keys it walks journal by one of its
// time indexes; with keys it starts from journal_keys' primary key for the first key (CROSS JOIN
// keeps SQLite from starting anywhere else), which hands the hits newest first, so the LIMIT
// stops the walk; every further key is one primary-key probe per hit.
struct SearchSql {
  std::string sql;
  std::vector<std::variant<std::string, sqlite3_int64>> params;
};

SearchSql search_sql(const JournalQuery& query, std::size_t limit) {
  SearchSql out;
  out.sql = select_columns;
  const bool by_key = !query.keys.empty();
  const char* separator = " WHERE ";
  auto where = [&](std::string_view condition) {
    out.sql += separator;
    out.sql += condition;
    separator = " AND ";
  };
  // The time window on the key index when there is one, so that it bounds the walk.
  const char* time = by_key ? "k.received_at" : "j.received_at";
  if (by_key) {
    out.sql +=
        " FROM journal_keys k CROSS JOIN journal j ON j.message_id = k.message_id AND j.received_at = k.received_at";
    where("k.name = ?");
    where("k.value = ?");
    out.params.emplace_back(query.keys[0].name);
    out.params.emplace_back(query.keys[0].value);
  } else {
    out.sql += " FROM journal j";
  }
  if (query.message_id) {
    where("j.message_id = ?");
    out.params.emplace_back(*query.message_id);
  }
  if (query.flow_id) {
    where("j.flow_id = ?");
    out.params.emplace_back(*query.flow_id);
  }
  if (query.outcome) {
    where("j.outcome = ?");
    out.params.emplace_back(*query.outcome);
  }
  if (query.since) {
    where(std::string(time) + " >= ?");
    out.params.emplace_back(to_micros(*query.since));
  }
  if (query.until) {
    where(std::string(time) + " < ?");
    out.params.emplace_back(to_micros(*query.until));
  }
  for (std::size_t i = 1; i < query.keys.size(); ++i) {
    where(
        "EXISTS (SELECT 1 FROM journal_keys o WHERE o.name = ? AND o.value = ? AND o.received_at = j.received_at "
        "AND o.message_id = j.message_id)");
    out.params.emplace_back(query.keys[i].name);
    out.params.emplace_back(query.keys[i].value);
  }
  // Newest first. Entries received in the same microsecond: by rowid (later write first), or on
  // the key index by message id, which keeps that walk free of a sort.
  out.sql += by_key ? " ORDER BY k.received_at DESC, k.message_id DESC LIMIT ?"
                    : " ORDER BY j.received_at DESC, j.rowid DESC LIMIT ?";
  constexpr auto max_limit = static_cast<std::size_t>(std::numeric_limits<sqlite3_int64>::max());
  out.params.emplace_back(static_cast<sqlite3_int64>(std::min(limit, max_limit)));
  return out;
}

int bind_search(sqlite3_stmt* stmt, const SearchSql& search) {
  int index = 1;
  for (const auto& param : search.params) {
    const int rc = std::holds_alternative<std::string>(param)
                       ? bind_text(stmt, index, std::get<std::string>(param))
                       : sqlite3_bind_int64(stmt, index, std::get<sqlite3_int64>(param));
    if (rc != SQLITE_OK) return rc;
    ++index;
  }
  return SQLITE_OK;
}

// Prepares and binds `sql` (the search, or its EXPLAIN) on the day's connection.
Expected<sqlite::StmtPtr> prepared(sqlite3* db, const std::string& sql, const SearchSql& search, std::string_view what,
                                   const std::string& where) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  sqlite::StmtPtr stmt(raw);
  if (rc != SQLITE_OK || bind_search(raw, search) != SQLITE_OK)
    return Error{ErrorKind::unavailable,
                 "store: " + std::string(what) + " '" + where + "' failed: " + sqlite::message(db)};
  return stmt;
}

}  // namespace

Status search_journal_day(sqlite3* db, const JournalQuery& query, std::size_t limit, const std::string& where,
                          std::vector<JournalEntry>& out) {
  const SearchSql search = search_sql(query, limit);
  auto stmt = prepared(db, search.sql, search, "searching", where);
  if (!stmt) return std::move(stmt).error();
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) out.push_back(read_entry(stmt->get()));
  if (rc != SQLITE_DONE)
    return Error{ErrorKind::unavailable, "store: searching '" + where + "' failed: " + sqlite::message(db)};
  return Ok{};
}

Status delivered_in_day(sqlite3* db, const std::string& message_id, const std::string& where,
                        std::vector<Delivery>& out) {
  auto fail = [&] {
    return Error{ErrorKind::unavailable,
                 "store: reading the deliveries of '" + where + "' failed: " + sqlite::message(db)};
  };
  constexpr std::string_view deliveries_sql =
      "SELECT id, endpoint, order_key, flow_id, created_at, delivered_at, total_attempts FROM journal_deliveries "
      "WHERE message_id = ? ORDER BY id";
  constexpr std::string_view attempts_sql =
      "SELECT number, started_at, finished_at, outcome, error FROM journal_attempts WHERE delivery_id = ? ORDER BY "
      "number";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, deliveries_sql.data(), static_cast<int>(deliveries_sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    return fail();
  }
  sqlite::StmtPtr deliveries(raw);
  raw = nullptr;
  if (sqlite3_prepare_v2(db, attempts_sql.data(), static_cast<int>(attempts_sql.size()), &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return fail();
  }
  sqlite::StmtPtr attempts(raw);
  bind_text(deliveries.get(), 1, message_id);
  const std::size_t first = out.size();
  int rc;
  while ((rc = sqlite3_step(deliveries.get())) == SQLITE_ROW) {
    sqlite3_stmt* row = deliveries.get();
    Delivery& d = out.emplace_back();
    d.id = sqlite3_column_int64(row, 0);
    d.endpoint = column_string(row, 1);
    d.order_key = column_string(row, 2);
    d.message_id = message_id;
    d.flow_id = column_string(row, 3);
    d.state = DeliveryState::delivered;
    d.created_at = from_micros(sqlite3_column_int64(row, 4));
    d.delivered_at = from_micros(sqlite3_column_int64(row, 5));
    d.total_attempts = sqlite3_column_int(row, 6);
  }
  if (rc != SQLITE_DONE) return fail();
  for (std::size_t i = first; i < out.size(); ++i) {
    sqlite3_stmt* a = attempts.get();
    sqlite3_bind_int64(a, 1, out[i].id);
    while ((rc = sqlite3_step(a)) == SQLITE_ROW) out[i].history.push_back(attempt_from_row(a));
    sqlite3_reset(a);
    if (rc != SQLITE_DONE) return fail();
    out[i].attempts = static_cast<int>(out[i].history.size());
  }
  return Ok{};
}

Expected<std::string> journal_day_plan(sqlite3* db, const JournalQuery& query, const std::string& where) {
  const SearchSql search = search_sql(query, query.limit);
  auto stmt = prepared(db, "EXPLAIN QUERY PLAN " + search.sql, search, "explaining a search of", where);
  if (!stmt) return std::move(stmt).error();
  std::string plan;
  while (sqlite3_step(stmt->get()) == SQLITE_ROW) {
    if (!plan.empty()) plan += "; ";
    plan += column_string(stmt->get(), 3);  // the detail column: "SEARCH k USING PRIMARY KEY (name=? AND value=?)"
  }
  return plan;
}

}  // namespace qiao
