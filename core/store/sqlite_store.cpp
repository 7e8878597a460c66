#include "core/store/sqlite_store.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>
#include <variant>

#include "core/log.hpp"
#include "core/store/journal_row_bytes.hpp"
#include "core/store/sqlite_journal_search.hpp"
#include "core/store/sqlite_util.hpp"

namespace qiao {

using sqlite::bind_blob;
using sqlite::bind_text;
using sqlite::column_string;
using sqlite::from_micros;
using sqlite::to_micros;

namespace {

// Migration i takes the schema from user_version i to i + 1. Append, never edit: a file
// written by an older build is brought forward one step at a time.
constexpr std::array<std::string_view, 6> migrations = {
    // 1: the journal. received_at is microseconds since the Unix epoch (UTC) so that time
    // windows are plain integer ranges on an index. request is NULL when nothing was received;
    // request and reply are BLOBs because messages are bytes, not necessarily text.
    R"sql(
CREATE TABLE journal (
  message_id  TEXT PRIMARY KEY NOT NULL,
  trace_id    TEXT NOT NULL,
  flow_id     TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  latency_us  INTEGER NOT NULL,
  outcome     TEXT NOT NULL,
  status      INTEGER NOT NULL,
  source      TEXT NOT NULL,
  error       TEXT NOT NULL,
  request     BLOB,
  reply       BLOB NOT NULL
);
CREATE INDEX journal_flow_time ON journal (flow_id, received_at);
CREATE INDEX journal_time ON journal (received_at);
CREATE INDEX journal_outcome_time ON journal (outcome, received_at);
)sql",
    // 2: payloads have size limits. The sizes as received and answered, and whether the stored
    // bytes are only their beginning. NULL sizes (rows of version 1) mean the payload is whole.
    R"sql(
ALTER TABLE journal ADD COLUMN request_size INTEGER;
ALTER TABLE journal ADD COLUMN reply_size INTEGER;
ALTER TABLE journal ADD COLUMN request_truncated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE journal ADD COLUMN reply_truncated INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: persistent queues (sqlite_deliveries.cpp). A delivery's row lives while it is queued
    // (state 0) or dead (1) and goes once delivered, so the table holds only unfinished work.
    // AUTOINCREMENT: ids never come back, so they order the queue and name a delivery in logs
    // for good. An attempt is written when it starts, so one without finished_at after a
    // restart may have reached the peer.
    R"sql(
CREATE TABLE deliveries (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint        TEXT NOT NULL,
  order_key       TEXT NOT NULL,
  message_id      TEXT NOT NULL,
  flow_id         TEXT NOT NULL,
  request         BLOB NOT NULL,
  max_attempts    INTEGER NOT NULL,
  backoff_ms      INTEGER NOT NULL,
  max_backoff_ms  INTEGER NOT NULL,
  jitter          INTEGER NOT NULL,
  state           INTEGER NOT NULL,
  attempts        INTEGER NOT NULL,
  total_attempts  INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT NOT NULL
);
CREATE INDEX deliveries_state_endpoint ON deliveries (state, endpoint, id);
CREATE TABLE delivery_attempts (
  delivery_id INTEGER NOT NULL,
  number      INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  outcome     TEXT,
  error       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID;
)sql",
    // 4: idempotency keys (sqlite_idempotency.cpp). One row per flow and key while its ttl
    // lasts: a claim (answered 0) while the first message runs, then the answer it got. A
    // rowid table rather than WITHOUT ROWID, because a row holds a whole reply body.
    R"sql(
CREATE TABLE idempotency_keys (
  flow_id      TEXT NOT NULL,
  key          TEXT NOT NULL,
  message_id   TEXT NOT NULL,
  claimed_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  answered     INTEGER NOT NULL,
  status       INTEGER,
  content_type TEXT,
  headers      BLOB,
  body         BLOB
);
CREATE UNIQUE INDEX idempotency_keys_flow_key ON idempotency_keys (flow_id, key);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
)sql",
    // 5: business keys (journal: keys). A search by key walks journal_keys' primary key, newest
    // first within (name, value), and joins each hit to its row by message_id and received_at; the
    // row keeps its own keys (business_keys: name NUL value NUL …) so a result shows them without a
    // second index. WITHOUT ROWID: the key row is its primary key, stored once.
    R"sql(
ALTER TABLE journal ADD COLUMN business_keys BLOB;
CREATE TABLE journal_keys (
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  message_id  TEXT NOT NULL,
  PRIMARY KEY (name, value, received_at, message_id)
) WITHOUT ROWID;
)sql",
    // 6: the journal moves to a database per UTC day (sqlite_journal_days.hpp), so that retention
    // deletes files instead of rows. SqliteStore::move_journal_into_days has copied this file's
    // rows to their days before this step drops the tables.
    // A message's deliveries are looked up by its id (Store::message_deliveries).
    R"sql(
DROP TABLE journal_keys;
DROP TABLE journal;
CREATE INDEX deliveries_message ON deliveries (message_id);
)sql",
};

// The step that drops the main file's journal: everything before it runs at once, then the rows
// move to their days, then it runs.
constexpr long journal_in_days_version = 6;

// Days a file store's writer keeps attached between batches: today, yesterday (messages that
// began before midnight) and one more for a late or clock-skewed row.
constexpr std::size_t attached_days = 3;

// Long enough to ride out a checkpoint or another process's brief write, short enough that
// a wedged lock shows up as dropped entries and an error rather than a silent stall.
constexpr int busy_timeout_ms = 5000;
// After a burst the WAL file is truncated back to this size instead of keeping its peak.
constexpr std::string_view journal_size_limit_pragma = "PRAGMA journal_size_limit = 67108864";
// 2 MiB of page cache per connection, stated rather than left to the build's default: the
// journal appends and searches read a few pages, so more cache would only hold memory.
constexpr std::string_view cache_size_pragma = "PRAGMA cache_size = -2048";

Error open_error(const std::string& path, sqlite3* db) {
  return Error{ErrorKind::config, "store: cannot open '" + path + "': " + sqlite::message(db)};
}

int exec(sqlite3* db, std::string_view sql) {
  return sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, nullptr);
}

// Runs a statement that yields one row and returns its first column as text (PRAGMAs).
int query_text(sqlite3* db, std::string_view sql, std::string& out) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    out = column_string(stmt, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(stmt);  // keeps the error message of a failed step for the caller
  return rc;
}

// Brings the schema up to version `latest` inside one IMMEDIATE transaction, so two processes
// opening a fresh file at once cannot both create the tables. `version` is set to the file's
// version before the steps ran.
Status migrate(sqlite3* db, const std::string& path, long latest, long& version) {
  auto fail = [&](std::string what) -> Status {
    std::string message = "store: cannot " + what + " '" + path + "': " + sqlite::message(db);
    if (!sqlite3_get_autocommit(db)) exec(db, "ROLLBACK");
    return Error{ErrorKind::config, std::move(message)};
  };
  if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) return fail("lock");
  std::string text;
  if (query_text(db, "PRAGMA user_version", text) != SQLITE_OK) return fail("read");
  version = std::strtol(text.c_str(), nullptr, 10);
  const auto newest = static_cast<long>(migrations.size());
  if (version < 0) {
    exec(db, "ROLLBACK");
    return Error{ErrorKind::config, "store: '" + path + "' has schema version " + std::to_string(version) +
                                        ", which no qiao writes; use another file"};
  }
  if (version > newest) {
    exec(db, "ROLLBACK");
    return Error{ErrorKind::config, "store: '" + path + "' has schema version " + std::to_string(version) +
                                        ", newer than this build understands (" + std::to_string(newest) +
                                        "); use a newer qiao or another file"};
  }
  for (long v = version; v < latest; ++v)
    if (exec(db, migrations[static_cast<std::size_t>(v)]) != SQLITE_OK)
      return fail("create the schema (version " + std::to_string(v + 1) + ") in");
  if (version < latest && exec(db, "PRAGMA user_version = " + std::to_string(latest)) != SQLITE_OK)
    return fail("set the schema version in");
  if (exec(db, "COMMIT") != SQLITE_OK) return fail("commit the schema to");
  return Ok{};
}

}  // namespace

void SqliteStore::DbCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Expected<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, std::size_t queue_capacity,
                                                         const JournalLimits& limits) {
  // Debian's SQLite is built with SQLITE_USE_URI, so a relative "file:…" name would be parsed
  // as a URI instead of naming a file.
  if (path.starts_with("file:")) return open_uri("./" + path, "", queue_capacity, limits);
  return open_uri(path, "", queue_capacity, limits);
}

Expected<std::unique_ptr<SqliteStore>> SqliteStore::open_memory(std::size_t queue_capacity,
                                                                const JournalLimits& limits) {
  // A plain ":memory:" database is private to one connection, but the reader needs to see
  // the writer's rows. The memdb VFS shares a database between the connections of one process
  // by name (names starting with '/'); a counter keeps every store's database its own.
  static std::atomic<std::uint64_t> counter{0};
  // The journal's days are memdb databases of their own, named after the store's.
  const std::string base = "/qiao-store-" + std::to_string(counter.fetch_add(1));
  return open_uri("file:" + base + "?vfs=memdb", base, queue_capacity, limits);
}

Expected<std::unique_ptr<SqliteStore>> SqliteStore::open_uri(const std::string& name, const std::string& memory_base,
                                                             std::size_t queue_capacity, const JournalLimits& limits) {
  const bool memory = !memory_base.empty();
  const std::string path = memory ? std::string(":memory:") : name;
  const int uri_flag = memory ? SQLITE_OPEN_URI : 0;

  // NOMUTEX: each connection is used by one thread at a time (the writer thread, or a search
  // holding read_mutex_), so SQLite's own per-connection mutex would be pure overhead.
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | uri_flag, nullptr);
  DbPtr writer(raw);
  if (rc != SQLITE_OK) return open_error(path, writer.get());
  sqlite3_busy_timeout(writer.get(), busy_timeout_ms);

  if (!memory) {
    // Switching to WAL is the first statement that reads the file, so this is also where a
    // file that is not a database gets reported.
    std::string mode;
    if (query_text(writer.get(), "PRAGMA journal_mode = WAL", mode) != SQLITE_OK) return open_error(path, writer.get());
    // Searches and queue reads run beside the writer's commits only with WAL.
    if (mode != "wal")
      return Error{ErrorKind::config, "store: cannot open '" + path + "': WAL journal mode unavailable (got '" + mode +
                                          "'); put the store on a local file system"};
  }
  // FULL: every commit is fsync'd before the writer reports it done, because a queued delivery
  // is acknowledged to its sender on that word and must survive a power cut. Batching makes
  // this one fsync per batch, not per message (group commit).
  if (exec(writer.get(), "PRAGMA synchronous = FULL") != SQLITE_OK ||
      exec(writer.get(), journal_size_limit_pragma) != SQLITE_OK || exec(writer.get(), cache_size_pragma) != SQLITE_OK)
    return open_error(path, writer.get());
  // A batch writes to a few days at once, but an in-memory store keeps every day attached.
  sqlite3_limit(writer.get(), SQLITE_LIMIT_ATTACHED, 125);
  long version = 0;
  if (auto migrated = migrate(writer.get(), path, journal_in_days_version - 1, version); !migrated)
    return std::move(migrated).error();

  raw = nullptr;
  rc = sqlite3_open_v2(name.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | uri_flag, nullptr);
  DbPtr reader(raw);
  if (rc != SQLITE_OK) return open_error(path, reader.get());
  sqlite3_busy_timeout(reader.get(), busy_timeout_ms);
  if (exec(reader.get(), cache_size_pragma) != SQLITE_OK) return open_error(path, reader.get());

  std::unique_ptr<SqliteStore> store(
      new SqliteStore(path, memory_base, std::move(writer), std::move(reader), queue_capacity, limits));
  if (auto found = store->days_.discover(); !found) return std::move(found).error();
  if (version < journal_in_days_version) {
    if (auto moved = store->move_journal_into_days(); !moved) return std::move(moved).error();
    if (auto migrated = migrate(store->writer_db_.get(), path, journal_in_days_version, version); !migrated)
      return std::move(migrated).error();
  }
  if (auto migrated = migrate(store->writer_db_.get(), path, static_cast<long>(migrations.size()), version); !migrated)
    return std::move(migrated).error();
  if (auto prepared = store->prepare_writer_statements(); !prepared) return std::move(prepared).error();
  // Measured once before the first entry, so a disk that is already low never takes a payload.
  store->check_free_space(std::chrono::steady_clock::now(), true);
  // Measured at open for /metrics; the first pass that drops anything comes retention_check later.
  store->day_bytes_.store(store->measure_days(), std::memory_order_relaxed);
  store->start_writer();
  return store;
}

SqliteStore::SqliteStore(std::string path, const std::string& memory_base, DbPtr writer_db, DbPtr reader_db,
                         std::size_t queue_capacity, const JournalLimits& limits)
    : BatchedStore(path, "the disk", queue_capacity, limits),
      path_(std::move(path)),
      memory_(!memory_base.empty()),
      writer_db_(std::move(writer_db)),
      days_(path_, memory_base),
      journal_writer_(writer_db_.get(), days_),
      reader_db_(std::move(reader_db)) {}

Status SqliteStore::move_journal_into_days() {
  sqlite3* db = writer_db_.get();
  // The days of the rows, by floor division (a received_at before 1970 is a day before it).
  constexpr std::string_view days_sql =
      "SELECT DISTINCT received_at / 86400000000 - (received_at < 0 AND received_at % 86400000000 != 0) FROM journal";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, days_sql.data(), static_cast<int>(days_sql.size()), &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return open_error(path_, db);
  }
  std::vector<JournalDay> days;
  {
    StmtPtr stmt(raw);
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) days.push_back(sqlite3_column_int64(raw, 0));
    if (rc != SQLITE_DONE) return open_error(path_, db);
  }
  if (!days.empty())
    log::system().info("journal: moving the journal of '{}' into a file per day ({} days), once", path_, days.size());
  for (JournalDay day : days) {
    if (auto moved = journal_writer_.copy_from_main(day); !moved)
      return Error{ErrorKind::config, std::move(moved).error().message};
    journal_writer_.detach_unused(attached_days);
  }
  return Ok{};
}

Status SqliteStore::prepare_writer_statements() {
  auto prepare = [&](std::string_view sql, StmtPtr& out) {
    return sqlite::prepare_persistent(writer_db_.get(), sql, out);
  };
  // IMMEDIATE takes the write lock up front, where the busy timeout applies, instead of
  // failing on the first INSERT if another process holds it.
  if (!prepare("BEGIN IMMEDIATE", begin_) || !prepare("COMMIT", commit_) || !prepare("ROLLBACK", rollback_) ||
      !deliveries_.prepare(writer_db_.get()) || !idempotency_.prepare(writer_db_.get()))
    return open_error(path_, writer_db_.get());
  return Ok{};
}

SqliteStore::~SqliteStore() { stop_writer(); }

JournalStats SqliteStore::stats() const {
  JournalStats s = intake_stats();
  if (!memory_) s.free_bytes = free_bytes_.load(std::memory_order_relaxed);
  s.segments = days_.days().size();
  s.segment_bytes = day_bytes_.load(std::memory_order_relaxed);
  s.segments_dropped = days_dropped_.load(std::memory_order_relaxed);
  return s;
}

void SqliteStore::check_free_space(std::chrono::steady_clock::time_point now, bool first) {
  if (memory_ || (!first && now - free_space_checked_ < limits_.free_space_check)) return;
  free_space_checked_ = now;
  struct statvfs fs {};
  if (::statvfs(path_.c_str(), &fs) != 0) {
    // Payloads are kept as before: an unmeasurable disk is no reason to lose them.
    if (!free_space_unknown_)
      log::system().warn("journal: cannot measure the free space of '{}': {}", path_, std::strerror(errno));
    free_space_unknown_ = true;
    return;
  }
  free_space_unknown_ = false;
  const std::uint64_t free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  free_bytes_.store(free, std::memory_order_relaxed);
  const bool low = free < limits_.min_free_bytes;
  if (low == set_refusing_payloads(low)) return;
  if (low)
    log::system().warn(
        "journal: {} bytes free where '{}' is, below journal.min_free_bytes ({}): payloads are no longer "
        "stored, only each message's metadata",
        free, path_, limits_.min_free_bytes);
  else
    log::system().info("journal: {} bytes free where '{}' is, journal.min_free_bytes is {}: payloads are stored again",
                       free, path_, limits_.min_free_bytes);
}

void SqliteStore::between_batches(bool idle) {
  static_cast<void>(idle);
  check_free_space(std::chrono::steady_clock::now(), false);
}

void SqliteStore::after_batch() { journal_writer_.detach_unused(attached_days); }

Expected<std::vector<Delivery>> SqliteStore::message_deliveries(const std::string& message_id) const {
  DeliveryQuery queued;
  queued.message_id = message_id;
  queued.with_history = true;
  queued.limit = 0;
  std::lock_guard lock(read_mutex_);
  auto found = read_deliveries(reader_db_.get(), queued, path_);
  if (!found) return found;
  // Delivered ones are in the day they were delivered on, which the message does not tell.
  for (JournalDay day : days_.days()) {
    std::string error;
    const std::shared_ptr<sqlite3> db = days_.reader(day, error);
    if (!db) {
      if (!days_.contains(day)) continue;
      return Error{ErrorKind::unavailable, "store: reading the journal of '" + path_ + "' failed: " + error};
    }
    if (auto read = delivered_in_day(db.get(), message_id, days_.location(day), *found); !read)
      return std::move(read).error();
  }
  std::sort(found->begin(), found->end(), [](const Delivery& a, const Delivery& b) { return a.id < b.id; });
  return found;
}

Expected<std::vector<Delivery>> SqliteStore::deliveries(const DeliveryQuery& query) const {
  std::lock_guard lock(read_mutex_);
  return read_deliveries(reader_db_.get(), query, path_);
}

std::size_t SqliteStore::write_batch(const std::vector<JournalEntry>& batch, std::vector<QueueWrite>& writes,
                                     std::string& error, std::string& queue_error) {
  sqlite3* db = writer_db_.get();
  auto fail = [&](std::string_view what) {
    error = "store: " + std::string(what) + " '" + path_ + "' failed: " + sqlite::message(db);
  };
  auto rollback = [&] {
    if (!sqlite3_get_autocommit(db)) {
      sqlite3_step(rollback_.get());
      sqlite3_reset(rollback_.get());
    }
  };
  // A batch's days are attached before its transaction, which ATTACH cannot run in. A day that
  // cannot be (its file cannot be made: a full disk) costs its rows, not the rest of the batch.
  JournalDay last_day = std::numeric_limits<JournalDay>::min();
  for (const JournalEntry& entry : batch) {
    const JournalDay day = journal_day_of(entry.received_at);
    if (day == last_day) continue;
    last_day = day;
    if (auto attached = journal_writer_.attach(day); !attached) error = attached.error().message;
  }
  // A delivered delivery's attempts go to the journal's day it was delivered on.
  for (const QueueWrite& write : writes)
    for (const DeliveryChange& change : write.changes)
      if (change.kind == DeliveryChange::Kind::delivered)
        if (auto attached = journal_writer_.attach(journal_day_of(change.at)); !attached)
          error = attached.error().message;
  const int begun = sqlite3_step(begin_.get());
  sqlite3_reset(begin_.get());
  if (begun != SQLITE_DONE) {
    fail("locking");
    queue_error = error;
    return 0;
  }
  std::size_t rows = 0;
  std::string keys;
  for (const JournalEntry& entry : batch) {
    if (!journal_writer_.attached(journal_day_of(entry.received_at))) continue;  // its day failed: said above
    keys = encode_journal_keys(entry.keys);
    if (journal_writer_.write(entry, keys, error)) {
      ++rows;
    } else if (sqlite3_get_autocommit(db)) {
      // SQLite rolled the whole transaction back (disk full, I/O error): nothing of this
      // batch survives. A mere bad row (too big) leaves the transaction open and costs one row.
      queue_error = error;
      return 0;
    }
  }
  bool ok = writes.empty() || idempotency_.prune(std::chrono::system_clock::now(), queue_error);
  for (QueueWrite& write : writes) {
    if (ok && write.enqueued) ok = deliveries_.enqueue(write.deliveries, queue_error);
    for (const DeliveryChange& change : write.changes) {
      if (!ok) break;
      // Without its day (a file that could not be made: said above) the delivery still leaves
      // the queue; only its record is lost.
      if (change.kind == DeliveryChange::Kind::delivered && journal_writer_.attached(journal_day_of(change.at)))
        ok = journal_writer_.keep_delivered(change, queue_error);
      if (ok) ok = deliveries_.apply(change, queue_error);
    }
    if (ok && write.claim) ok = idempotency_.claim(*write.claim, write.claim_result, queue_error);
    if (ok && write.settle) ok = idempotency_.settle(*write.settle, queue_error);
    if (!ok) {
      // Someone waits on each of these for a durable yes or a no: all of the batch is a no,
      // journal rows included, rather than a commit that keeps only some of them.
      queue_error += " ('" + path_ + "')";
      error = queue_error;
      rollback();
      return 0;
    }
  }
  const int committed = sqlite3_step(commit_.get());
  sqlite3_reset(commit_.get());
  if (committed != SQLITE_DONE) {
    fail("committing to");
    queue_error = error;
    rollback();
    return 0;
  }
  count_commit();
  return rows;
}

namespace {

// The days a search reads, newest first: those its time window touches.
std::vector<JournalDay> days_to_search(std::vector<JournalDay> days, const JournalQuery& query) {
  std::erase_if(days, [&](JournalDay day) {
    return (query.since && journal_day_start(day + 1) <= *query.since) ||
           (query.until && journal_day_start(day) >= *query.until);
  });
  std::reverse(days.begin(), days.end());
  return days;
}

}  // namespace

Expected<std::vector<JournalEntry>> SqliteStore::search(const JournalQuery& query) const {
  std::vector<JournalEntry> entries;
  std::lock_guard lock(read_mutex_);
  for (JournalDay day : days_to_search(days_.days(), query)) {
    if (entries.size() >= query.limit) break;
    std::string error;
    const std::shared_ptr<sqlite3> db = days_.reader(day, error);
    if (!db) {
      if (!days_.contains(day)) continue;  // retention dropped it while this search ran
      return Error{ErrorKind::unavailable, "store: searching the journal of '" + path_ + "' failed: " + error};
    }
    if (auto searched = search_journal_day(db.get(), query, query.limit - entries.size(), days_.location(day), entries);
        !searched)
      return std::move(searched).error();
  }
  return entries;
}

Expected<std::string> SqliteStore::query_plan(const JournalQuery& query) const {
  std::lock_guard lock(read_mutex_);
  const std::vector<JournalDay> days = days_to_search(days_.days(), query);
  if (days.empty()) return Error{ErrorKind::not_found, "store: the journal of '" + path_ + "' has no day to search"};
  std::string error;
  const std::shared_ptr<sqlite3> db = days_.reader(days.front(), error);
  if (!db) return Error{ErrorKind::unavailable, "store: explaining a search of '" + path_ + "' failed: " + error};
  return journal_day_plan(db.get(), query, days_.location(days.front()));
}

std::uint64_t SqliteStore::measure_days() {
  std::uint64_t total = 0;
  for (JournalDay day : days_.days())
    total += (memory_ ? journal_writer_.memory_bytes(day) : days_.file_bytes(day)).value_or(0);
  return total;
}

Expected<std::vector<std::string>> SqliteStore::retention_pass() {
  const auto now = std::chrono::system_clock::now();
  const std::vector<JournalDay> days = days_.days();
  std::vector<std::uint64_t> sizes;
  std::uint64_t total = 0;
  for (JournalDay day : days) {
    sizes.push_back((memory_ ? journal_writer_.memory_bytes(day) : days_.file_bytes(day)).value_or(0));
    total += sizes.back();
  }
  // Oldest first: by age, then by size while more than the newest day is left.
  std::size_t drop = 0;
  while (drop < days.size() && limits_.max_age.count() > 0 && journal_day_start(days[drop] + 1) + limits_.max_age < now)
    ++drop;
  const std::size_t by_age = drop;
  std::uint64_t kept = total;
  for (std::size_t i = 0; i < drop; ++i) kept -= sizes[i];
  while (limits_.max_bytes > 0 && kept > limits_.max_bytes && drop + 1 < days.size()) kept -= sizes[drop++];

  std::vector<std::string> dropped;
  for (std::size_t i = 0; i < drop; ++i) {
    const std::string name = journal_day_name(days[i]);
    Status gone = journal_writer_.detach(days[i]);
    if (gone) {
      days_.remove(days[i]);
      gone = days_.delete_files(days[i]);
    }
    if (!gone) {
      log::system().error("journal: cannot drop the day {}: {}", name, gone.error().message);
      kept += sizes[i];
      continue;
    }
    log::system().info("journal: dropped the day {} ({} bytes): {}", name, sizes[i],
                       i < by_age ? "older than journal.max_age" : "the journal was larger than journal.max_bytes");
    days_dropped_.fetch_add(1, std::memory_order_relaxed);
    dropped.push_back(name);
  }
  day_bytes_.store(kept, std::memory_order_relaxed);
  return dropped;
}

}  // namespace qiao
