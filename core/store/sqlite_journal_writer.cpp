#include "core/store/sqlite_journal_writer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <string_view>
#include <system_error>

#include "core/owner_only.hpp"
#include "core/store/journal_row_bytes.hpp"

namespace qiao {

using sqlite::bind_blob;
using sqlite::bind_text;
using sqlite::to_micros;

namespace {

// The tables of a day, as the main file's journal had them at its schema version 5 (see
// core/store/README.md) and each message's steps: the search indexes, and the business keys'
// index of primary keys; and the deliveries that were delivered that day, with their attempts,
// moved out of the main file's queue tables as they leave the queue.
// `{s}` is the day's schema name. A day's PRAGMA user_version is its own schema version.
constexpr int day_schema_version = 1;
constexpr std::string_view day_schema = R"sql(
CREATE TABLE {s}.journal (
  message_id        TEXT PRIMARY KEY NOT NULL,
  trace_id          TEXT NOT NULL,
  flow_id           TEXT NOT NULL,
  received_at       INTEGER NOT NULL,
  latency_us        INTEGER NOT NULL,
  outcome           TEXT NOT NULL,
  status            INTEGER NOT NULL,
  source            TEXT NOT NULL,
  error             TEXT NOT NULL,
  request           BLOB,
  reply             BLOB NOT NULL,
  request_size      INTEGER,
  reply_size        INTEGER,
  request_truncated INTEGER NOT NULL DEFAULT 0,
  reply_truncated   INTEGER NOT NULL DEFAULT 0,
  business_keys     BLOB,
  steps             BLOB
);
CREATE INDEX {s}.journal_flow_time ON journal (flow_id, received_at);
CREATE INDEX {s}.journal_time ON journal (received_at);
CREATE INDEX {s}.journal_outcome_time ON journal (outcome, received_at);
CREATE TABLE {s}.journal_keys (
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  message_id  TEXT NOT NULL,
  PRIMARY KEY (name, value, received_at, message_id)
) WITHOUT ROWID;
CREATE TABLE {s}.journal_deliveries (
  id             INTEGER PRIMARY KEY,
  message_id     TEXT NOT NULL,
  endpoint       TEXT NOT NULL,
  order_key      TEXT NOT NULL,
  flow_id        TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  delivered_at   INTEGER NOT NULL,
  total_attempts INTEGER NOT NULL
);
CREATE INDEX {s}.journal_deliveries_message ON journal_deliveries (message_id);
CREATE TABLE {s}.journal_attempts (
  delivery_id INTEGER NOT NULL,
  number      INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  outcome     TEXT,
  error       TEXT NOT NULL,
  PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID;
)sql";

// The columns the main file's journal had (version 5), which copy_from_main moves.
constexpr std::string_view moved_columns =
    "message_id, trace_id, flow_id, received_at, latency_us, outcome, status, source, error, request, reply, "
    "request_size, reply_size, request_truncated, reply_truncated, business_keys";

std::string with_schema(std::string_view text, const std::string& schema) {
  std::string out;
  std::size_t at = 0;
  for (std::size_t found; (found = text.find("{s}", at)) != std::string_view::npos; at = found + 3) {
    out.append(text.substr(at, found - at));
    out += schema;
  }
  out.append(text.substr(at));
  return out;
}

int exec(sqlite3* db, const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); }

int query_int(sqlite3* db, const std::string& sql, std::int64_t& out) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    out = sqlite3_column_int64(stmt, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(stmt);
  return rc;
}

sqlite3_int64 as_int64(std::uint64_t n) {
  return static_cast<sqlite3_int64>(std::min<std::uint64_t>(n, std::numeric_limits<sqlite3_int64>::max()));
}

int bind_entry(sqlite3_stmt* stmt, const JournalEntry& e, const std::string& keys, const std::string& steps) {
  const std::array<int, 17> rcs = {
      bind_text(stmt, 1, e.message_id),
      bind_text(stmt, 2, e.trace_id),
      bind_text(stmt, 3, e.flow_id),
      sqlite3_bind_int64(stmt, 4, to_micros(e.received_at)),
      sqlite3_bind_int64(stmt, 5, e.latency_us),
      bind_text(stmt, 6, e.outcome),
      sqlite3_bind_int(stmt, 7, e.status),
      bind_text(stmt, 8, e.source),
      bind_text(stmt, 9, e.error),
      e.request ? bind_blob(stmt, 10, *e.request) : sqlite3_bind_null(stmt, 10),
      bind_blob(stmt, 11, e.reply),
      e.request ? sqlite3_bind_int64(stmt, 12, as_int64(e.request_size)) : sqlite3_bind_null(stmt, 12),
      sqlite3_bind_int64(stmt, 13, as_int64(e.reply_size)),
      sqlite3_bind_int(stmt, 14, e.request_truncated ? 1 : 0),
      sqlite3_bind_int(stmt, 15, e.reply_truncated ? 1 : 0),
      keys.empty() ? sqlite3_bind_null(stmt, 16) : bind_blob(stmt, 16, keys),
      steps.empty() ? sqlite3_bind_null(stmt, 17) : bind_blob(stmt, 17, steps),
  };
  for (int rc : rcs)
    if (rc != SQLITE_OK) return rc;
  return SQLITE_OK;
}

}  // namespace

JournalWriter::JournalWriter(sqlite3* db, JournalDays& days) : db_(db), days_(days) {}

Error JournalWriter::failure(std::string what) const {
  return Error{ErrorKind::unavailable, "store: " + std::move(what) + ": " + sqlite::message(db_)};
}

JournalWriter::Attached* JournalWriter::find(JournalDay day) {
  for (Attached& a : attached_)
    if (a.day == day) return &a;
  return nullptr;
}

const JournalWriter::Attached* JournalWriter::find(JournalDay day) const {
  for (const Attached& a : attached_)
    if (a.day == day) return &a;
  return nullptr;
}

bool JournalWriter::attached(JournalDay day) const { return find(day) != nullptr; }

Status JournalWriter::attach(JournalDay day) {
  if (Attached* a = find(day)) {
    a->last_used = ++uses_;
    return Ok{};
  }
  const std::string where = days_.location(day);
  const bool is_new = !days_.contains(day);
  if (!days_.memory()) {
    std::error_code ec;
    if (std::filesystem::create_directories(days_.directory(), ec)) {
      if (auto done = restrict_to_owner(days_.directory()); !done) return std::move(done).error();
    } else if (ec) {
      return Error{ErrorKind::unavailable,
                   "store: cannot create the journal's directory '" + days_.directory() + "': " + ec.message()};
    }
  }
  Attached a;
  a.day = day;
  a.schema = "day_" + journal_day_name(day).erase(7, 1).erase(4, 1);
  {
    sqlite3_stmt* raw = nullptr;
    const std::string sql = "ATTACH DATABASE ? AS " + a.schema;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr);
    sqlite::StmtPtr stmt(raw);
    if (rc == SQLITE_OK) rc = bind_text(raw, 1, where);
    if (rc == SQLITE_OK) rc = sqlite3_step(raw);
    if (rc != SQLITE_DONE) return failure("cannot attach the journal's day '" + where + "'");
  }
  auto detach_on_failure = [&](std::string what) {
    Error error = failure(std::move(what) + " '" + where + "'");
    exec(db_, "DETACH DATABASE " + a.schema);
    return error;
  };
  if (!days_.memory()) {
    sqlite3_stmt* raw = nullptr;
    const std::string sql = "PRAGMA " + a.schema + ".journal_mode = WAL";
    std::string mode;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) == SQLITE_OK && sqlite3_step(raw) == SQLITE_ROW)
      mode = sqlite::column_string(raw, 0);
    sqlite3_finalize(raw);
    if (mode != "wal") return detach_on_failure("cannot put into WAL mode the journal's day");
  }
  if (exec(db_, "PRAGMA " + a.schema + ".synchronous = NORMAL") != SQLITE_OK ||
      exec(db_, "PRAGMA " + a.schema + ".journal_size_limit = 67108864") != SQLITE_OK ||
      exec(db_, "PRAGMA " + a.schema + ".cache_size = -1024") != SQLITE_OK)
    return detach_on_failure("cannot set up the journal's day");
  std::int64_t version = 0;
  if (query_int(db_, "PRAGMA " + a.schema + ".user_version", version) != SQLITE_OK)
    return detach_on_failure("cannot read the journal's day");
  if (version > day_schema_version) {
    exec(db_, "DETACH DATABASE " + a.schema);
    return Error{ErrorKind::unavailable, "store: the journal's day '" + where + "' has schema version " +
                                             std::to_string(version) + ", newer than this build understands"};
  }
  if (version == 0) {
    const std::string create = "BEGIN IMMEDIATE;" + with_schema(day_schema, a.schema) + "PRAGMA " + a.schema +
                               ".user_version = " + std::to_string(day_schema_version) + "; COMMIT;";
    if (exec(db_, create) != SQLITE_OK) {
      Error error = failure("cannot create the tables of the journal's day '" + where + "'");
      if (!sqlite3_get_autocommit(db_)) exec(db_, "ROLLBACK");
      exec(db_, "DETACH DATABASE " + a.schema);
      return error;
    }
  }
  if (!days_.memory()) {
    // The journal holds patients' data; a day is the owner's alone like the main file.
    for (const char* suffix : {"", "-wal", "-shm"}) {
      if (auto done = restrict_to_owner(where + suffix); !done) {
        exec(db_, "DETACH DATABASE " + a.schema);
        return std::move(done).error();
      }
    }
  }
  const std::string insert = "INSERT OR REPLACE INTO " + a.schema + ".journal (" + std::string(moved_columns) +
                             ", steps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  // A row rewritten under the same message id keeps the key rows of its first write; they name a
  // received_at the row no longer has, so the search's join by both leaves them out.
  const std::string insert_key =
      "INSERT OR IGNORE INTO " + a.schema + ".journal_keys (name, value, received_at, message_id) VALUES (?, ?, ?, ?)";
  if (!sqlite::prepare_persistent(db_, insert, a.insert) || !sqlite::prepare_persistent(db_, insert_key, a.insert_key))
    return detach_on_failure("cannot prepare the writes of the journal's day");
  a.last_used = ++uses_;
  attached_.push_back(std::move(a));
  if (is_new) days_.add(day);
  return Ok{};
}

bool JournalWriter::write(const JournalEntry& entry, const std::string& keys, std::string& error) {
  Attached* a = find(journal_day_of(entry.received_at));
  if (!a) {
    error = "store: the journal's day of message " + entry.message_id + " is not attached";
    return false;
  }
  a->last_used = ++uses_;
  steps_ = encode_journal_steps(entry.steps);
  int rc = bind_entry(a->insert.get(), entry, keys, steps_);
  if (rc == SQLITE_OK) rc = sqlite3_step(a->insert.get());
  sqlite3_reset(a->insert.get());
  if (rc != SQLITE_DONE) {
    error = "store: writing an entry to '" + days_.location(a->day) + "' failed: " + sqlite::message(db_);
    return false;
  }
  sqlite3_stmt* key = a->insert_key.get();
  for (const JournalKey& k : entry.keys) {
    rc = bind_text(key, 1, k.name);
    if (rc == SQLITE_OK) rc = bind_text(key, 2, k.value);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(key, 3, to_micros(entry.received_at));
    if (rc == SQLITE_OK) rc = bind_text(key, 4, entry.message_id);
    if (rc == SQLITE_OK) rc = sqlite3_step(key);
    sqlite3_reset(key);
    if (rc != SQLITE_DONE) {
      error = "store: writing a business key to '" + days_.location(a->day) + "' failed: " + sqlite::message(db_);
      return false;
    }
  }
  return true;
}

bool JournalWriter::keep_delivered(const DeliveryChange& change, std::string& error) {
  Attached* a = find(journal_day_of(change.at));
  if (!a) {
    error = "store: the journal's day of delivery " + std::to_string(change.id) + " is not attached";
    return false;
  }
  a->last_used = ++uses_;
  // Prepared on first use, so that a day is writable whatever becomes of the queue's tables. The
  // attempt that delivered it has no outcome yet in the queue's table: it is the last one.
  if (!a->keep_delivery) {
    const std::string keep_delivery =
        "INSERT OR REPLACE INTO " + a->schema +
        ".journal_deliveries (id, message_id, endpoint, order_key, flow_id, created_at, delivered_at, total_attempts) "
        "SELECT id, message_id, endpoint, order_key, flow_id, created_at, ?1, total_attempts FROM main.deliveries "
        "WHERE id = ?2";
    const std::string keep_attempts =
        "INSERT OR REPLACE INTO " + a->schema +
        ".journal_attempts (delivery_id, number, started_at, finished_at, outcome, error) "
        "SELECT delivery_id, number, started_at, coalesce(finished_at, ?1), coalesce(outcome, 'ok'), error "
        "FROM main.delivery_attempts WHERE delivery_id = ?2";
    if (!sqlite::prepare_persistent(db_, keep_delivery, a->keep_delivery) ||
        !sqlite::prepare_persistent(db_, keep_attempts, a->keep_attempts)) {
      a->keep_delivery.reset();
      error = "store: preparing to keep a delivered message's attempts in the journal failed: " + sqlite::message(db_);
      return false;
    }
  }
  for (sqlite3_stmt* stmt : {a->keep_delivery.get(), a->keep_attempts.get()}) {
    sqlite3_bind_int64(stmt, 1, to_micros(change.at));
    sqlite3_bind_int64(stmt, 2, change.id);
    if (!sqlite::step_done(db_, stmt, "keeping a delivered message's attempts in the journal", error)) return false;
  }
  return true;
}

void JournalWriter::detach_unused(std::size_t keep) {
  // An in-memory day lives only while a connection has it: detaching would lose it.
  if (days_.memory()) return;
  while (attached_.size() > keep) {
    auto oldest = std::min_element(attached_.begin(), attached_.end(),
                                   [](const Attached& a, const Attached& b) { return a.last_used < b.last_used; });
    if (!detach(oldest->day)) return;  // still attached: it is tried again after the next batch
  }
}

Status JournalWriter::detach(JournalDay day) {
  auto it = std::find_if(attached_.begin(), attached_.end(), [&](const Attached& a) { return a.day == day; });
  if (it == attached_.end()) return Ok{};
  const std::string schema = it->schema;
  // DETACH fails while a statement of the schema is prepared.
  it->insert.reset();
  it->insert_key.reset();
  it->keep_delivery.reset();
  it->keep_attempts.reset();
  if (exec(db_, "DETACH DATABASE " + schema) != SQLITE_OK) {
    Error error = failure("cannot detach the journal's day '" + days_.location(day) + "'");
    attached_.erase(it);  // its statements are gone; the next attach prepares them again
    return error;
  }
  attached_.erase(it);
  return Ok{};
}

std::optional<std::uint64_t> JournalWriter::memory_bytes(JournalDay day) {
  const Attached* a = find(day);
  if (!a) return std::nullopt;
  std::int64_t pages = 0, page_size = 0;
  if (query_int(db_, "PRAGMA " + a->schema + ".page_count", pages) != SQLITE_OK ||
      query_int(db_, "PRAGMA " + a->schema + ".page_size", page_size) != SQLITE_OK)
    return std::nullopt;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

Status JournalWriter::copy_from_main(JournalDay day) {
  if (auto done = attach(day); !done) return done;
  const Attached* a = find(day);
  const std::string window = " WHERE received_at >= " + std::to_string(day * micros_per_day) + " AND received_at < " +
                             std::to_string((day + 1) * micros_per_day);
  const std::string copy = "BEGIN IMMEDIATE; INSERT OR REPLACE INTO " + a->schema + ".journal (" +
                           std::string(moved_columns) + ") SELECT " + std::string(moved_columns) +
                           " FROM main.journal" + window + "; INSERT OR IGNORE INTO " + a->schema +
                           ".journal_keys (name, value, received_at, message_id) SELECT name, value, received_at, "
                           "message_id FROM main.journal_keys" +
                           window + "; COMMIT;";
  if (exec(db_, copy) != SQLITE_OK) {
    Error error =
        failure("cannot move the journal's rows of " + journal_day_name(day) + " to '" + days_.location(day) + "'");
    if (!sqlite3_get_autocommit(db_)) exec(db_, "ROLLBACK");
    return error;
  }
  return Ok{};
}

}  // namespace qiao
