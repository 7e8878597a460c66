#include "core/store/postgres_store.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <deque>
#include <limits>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "core/log.hpp"
#include "core/store/journal_row_bytes.hpp"
#include "core/store/postgres_deliveries.hpp"
#include "core/store/postgres_journal_days.hpp"
#include "core/store/sqlite_util.hpp"

namespace qiao {

using sqlite::from_micros;
using sqlite::to_micros;

namespace {

// Version 6 moves version 5's journal rows into partitions by day, which needs the days the rows
// have: what a script cannot say, this does, in the migration's transaction, after step 6's script.
bool move_v5_journal_into_days(pg_conn* db, std::string& error);

// One step of the schema: a script, then (rarely) what only code can do, in the same transaction.
struct MigrationStep {
  std::string_view script;
  bool (*then)(pg_conn* db, std::string& error) = nullptr;
};

// Step i takes the schema from version i to i + 1, numbered as the SQLite store's steps so that
// "schema version 4" means the same tables in both. Append, never edit. Times are BIGINT
// microseconds since the Unix epoch (UTC), as in SQLite: windows are integer ranges on an
// index, and no time zone setting of a session can shift them. Payloads and keys are BYTEA
// (bytes, not necessarily text in any encoding); free text is TEXT (pg_util's fix_utf8).
//
// Step 7, queue owners (postgres_queue_owners.cpp): a lease per node process, the holder of each
// queue key, and on each queued row the node that has it in memory.
constexpr std::string_view queue_owners_step = R"sql(
CREATE TABLE queue_nodes (
  node        TEXT PRIMARY KEY,
  lease_until BIGINT NOT NULL
);
CREATE TABLE queue_keys (
  endpoint  TEXT NOT NULL,
  order_key BYTEA NOT NULL,
  node      TEXT NOT NULL,
  PRIMARY KEY (endpoint, order_key)
);
CREATE INDEX queue_keys_node ON queue_keys (node);
ALTER TABLE deliveries ADD COLUMN node TEXT;
CREATE INDEX deliveries_queued_key ON deliveries (endpoint, order_key, id) WHERE state = 0;
CREATE INDEX deliveries_unheld ON deliveries (endpoint, order_key, id) WHERE state = 0 AND node IS NULL;
CREATE INDEX deliveries_holder ON deliveries (node) WHERE state = 0;
)sql";

constexpr std::array<MigrationStep, 8> migrations = {{
    // 1: the journal. `seq` orders entries received in the same microsecond (later write first),
    // as SQLite's rowid does; a rewrite of a message id takes a new one, as INSERT OR REPLACE
    // gives a new rowid. The indexes end in it for the same reason SQLite's end in the rowid.
    {R"sql(
CREATE TABLE journal (
  message_id  TEXT PRIMARY KEY,
  seq         BIGINT GENERATED ALWAYS AS IDENTITY,
  trace_id    TEXT NOT NULL,
  flow_id     TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  latency_us  BIGINT NOT NULL,
  outcome     TEXT NOT NULL,
  status      INTEGER NOT NULL,
  source      TEXT NOT NULL,
  error       TEXT NOT NULL,
  request     BYTEA,
  reply       BYTEA NOT NULL
);
CREATE INDEX journal_flow_time ON journal (flow_id, received_at, seq);
CREATE INDEX journal_time ON journal (received_at, seq);
CREATE INDEX journal_outcome_time ON journal (outcome, received_at, seq);
)sql"},
    // 2: payloads have size limits (see the SQLite store's step 2).
    {R"sql(
ALTER TABLE journal ADD COLUMN request_size BIGINT, ADD COLUMN reply_size BIGINT,
  ADD COLUMN request_truncated BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN reply_truncated BOOLEAN NOT NULL DEFAULT false;
)sql"},
    // 3: persistent queues. An identity column never hands out a number twice, across nodes and
    // rolled-back transactions alike, so ids order the queue and name a delivery for good.
    {R"sql(
CREATE TABLE deliveries (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint        TEXT NOT NULL,
  order_key       BYTEA NOT NULL,
  message_id      TEXT NOT NULL,
  flow_id         TEXT NOT NULL,
  request         BYTEA NOT NULL,
  max_attempts    INTEGER NOT NULL,
  backoff_ms      BIGINT NOT NULL,
  max_backoff_ms  BIGINT NOT NULL,
  jitter          BOOLEAN NOT NULL,
  state           INTEGER NOT NULL,
  attempts        INTEGER NOT NULL,
  total_attempts  INTEGER NOT NULL,
  created_at      BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  last_error      TEXT NOT NULL
);
CREATE INDEX deliveries_state_endpoint ON deliveries (state, endpoint, id);
CREATE TABLE delivery_attempts (
  delivery_id BIGINT NOT NULL,
  number      INTEGER NOT NULL,
  started_at  BIGINT NOT NULL,
  finished_at BIGINT,
  outcome     TEXT,
  error       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_id, number)
);
)sql"},
    // 4: idempotency keys (postgres_idempotency.cpp): a claim while the first message runs, then
    // the answer it got, until the ttl passes.
    {R"sql(
CREATE TABLE idempotency_keys (
  flow_id      TEXT NOT NULL,
  key          BYTEA NOT NULL,
  message_id   TEXT NOT NULL,
  claimed_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  answered     BOOLEAN NOT NULL,
  status       INTEGER,
  content_type BYTEA,
  headers      BYTEA,
  body         BYTEA,
  PRIMARY KEY (flow_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
)sql"},
    // 5: business keys (journal: keys), as SQLite's step 5: a search by key walks journal_keys'
    // primary key, newest first within (name, value), and joins each hit to its row by message_id
    // and received_at; the row keeps its own keys (name NUL value NUL …) to show them.
    {R"sql(
ALTER TABLE journal ADD COLUMN business_keys BYTEA;
CREATE TABLE journal_keys (
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  message_id  TEXT NOT NULL,
  PRIMARY KEY (name, value, received_at, message_id)
);
)sql"},
    // 6: the journal by day (postgres_journal_days.hpp). A partitioned table's unique keys must hold
    // its partition key: a row is (message_id, received_at), which a rewrite keeps (accept: stored
    // journals the message again with the received_at its queue row kept), so the upsert still
    // replaces it. journal_keys is partitioned the same way, so a day's keys go with its rows.
    // Version 5's tables are renamed, their rows moved (move_v5_journal_into_days) and dropped.
    // A row keeps the steps its message went through (journal_row_bytes.hpp), as SQLite's days do.
    {R"sql(
ALTER TABLE journal RENAME TO journal_v5;
ALTER TABLE journal_v5 RENAME CONSTRAINT journal_pkey TO journal_v5_pkey;
ALTER TABLE journal_v5 ALTER COLUMN seq DROP IDENTITY;
DROP INDEX journal_flow_time, journal_time, journal_outcome_time;
ALTER TABLE journal_keys RENAME TO journal_keys_v5;
ALTER TABLE journal_keys_v5 RENAME CONSTRAINT journal_keys_pkey TO journal_keys_v5_pkey;
CREATE TABLE journal (
  message_id        TEXT NOT NULL,
  seq               BIGINT GENERATED ALWAYS AS IDENTITY,
  trace_id          TEXT NOT NULL,
  flow_id           TEXT NOT NULL,
  received_at       BIGINT NOT NULL,
  latency_us        BIGINT NOT NULL,
  outcome           TEXT NOT NULL,
  status            INTEGER NOT NULL,
  source            TEXT NOT NULL,
  error             TEXT NOT NULL,
  request           BYTEA,
  reply             BYTEA NOT NULL,
  request_size      BIGINT,
  reply_size        BIGINT,
  request_truncated BOOLEAN NOT NULL DEFAULT false,
  reply_truncated   BOOLEAN NOT NULL DEFAULT false,
  business_keys     BYTEA,
  steps             BYTEA,
  PRIMARY KEY (message_id, received_at)
) PARTITION BY RANGE (received_at);
CREATE INDEX journal_flow_time ON journal (flow_id, received_at, seq);
CREATE INDEX journal_time ON journal (received_at, seq);
CREATE INDEX journal_outcome_time ON journal (outcome, received_at, seq);
CREATE TABLE journal_keys (
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  message_id  TEXT NOT NULL,
  PRIMARY KEY (name, value, received_at, message_id)
) PARTITION BY RANGE (received_at);
)sql",
     move_v5_journal_into_days},
    // 7: who delivers which queued rows among nodes sharing the database.
    {queue_owners_step},
    // 8: delivered deliveries and their attempts leave the queue for the journal's day they were
    // delivered on (partitioned by delivered_at, dropped with the day), and a message's deliveries
    // are found by its id. The days already there get these partitions too.
    {R"sql(
CREATE TABLE journal_deliveries (
  id             BIGINT NOT NULL,
  message_id     TEXT NOT NULL,
  endpoint       TEXT NOT NULL,
  order_key      BYTEA NOT NULL,
  flow_id        TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  delivered_at   BIGINT NOT NULL,
  total_attempts INTEGER NOT NULL,
  PRIMARY KEY (id, delivered_at)
) PARTITION BY RANGE (delivered_at);
CREATE INDEX journal_deliveries_message ON journal_deliveries (message_id);
CREATE TABLE journal_attempts (
  delivery_id  BIGINT NOT NULL,
  number       INTEGER NOT NULL,
  delivered_at BIGINT NOT NULL,
  started_at   BIGINT NOT NULL,
  finished_at  BIGINT,
  outcome      TEXT,
  error        TEXT NOT NULL,
  PRIMARY KEY (delivery_id, number, delivered_at)
) PARTITION BY RANGE (delivered_at);
CREATE INDEX deliveries_message ON deliveries (message_id);
)sql",
     PostgresJournalDays::complete_days},
}};

// Held while the schema is read and brought forward, so that nodes starting together at a fresh
// database do not both create it. Advisory locks belong to one database: 'qiao' in ASCII.
constexpr std::string_view schema_lock_sql = "SELECT pg_advisory_xact_lock(1902732655)";

constexpr std::string_view entry_columns =
    "message_id, trace_id, flow_id, received_at, latency_us, outcome, status, source, error, request, reply, "
    "request_size, reply_size, request_truncated, reply_truncated, business_keys, steps";
constexpr std::string_view select_columns =
    "SELECT j.message_id, j.trace_id, j.flow_id, j.received_at, j.latency_us, j.outcome, j.status, j.source, "
    "j.error, j.request, j.reply, j.request_size, j.reply_size, j.request_truncated, j.reply_truncated, "
    "j.business_keys, j.steps";
constexpr int entry_params = 17;
// A statement takes at most 65535 parameters; a thousand rows stay well below, and a batch of
// 4096 entries is written in five statements.
constexpr std::size_t rows_per_insert = 1000;

// Tomorrow's partitions are made by the batches of the last hour before midnight UTC, so the first
// batch of a day does not wait for DDL (and the nodes do not all make the day at the same moment).
constexpr auto make_tomorrow_ahead = std::chrono::hours(1);

// Between attempts to reach a server that went away: doubling from the first to the last.
constexpr auto first_reconnect_backoff = std::chrono::milliseconds(100);
constexpr auto max_reconnect_backoff = std::chrono::milliseconds(5000);

std::int64_t as_int64(std::uint64_t n) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(n, std::numeric_limits<std::int64_t>::max()));
}

// `keys` and `steps` are the entry's lists as journal_row_bytes encodes them.
void add_entry(pg::Params& p, const JournalEntry& e, const std::string& keys, const std::string& steps) {
  p.text(e.message_id).text(e.trace_id).text(e.flow_id).int64(to_micros(e.received_at)).int64(e.latency_us);
  p.text(e.outcome).int32(e.status).text(e.source).text(e.error);
  if (e.request) p.bytes(*e.request);
  else p.null_bytes();
  p.bytes(e.reply);
  if (e.request) p.int64(as_int64(e.request_size));
  else p.null_int64();
  p.int64(as_int64(e.reply_size)).boolean(e.request_truncated).boolean(e.reply_truncated);
  if (keys.empty()) p.null_bytes();
  else p.bytes(keys);
  if (steps.empty()) p.null_bytes();
  else p.bytes(steps);
}

JournalEntry read_entry(const pg_result* r, int row) {
  JournalEntry e;
  e.message_id = pg::get_string(r, row, 0);
  e.trace_id = pg::get_string(r, row, 1);
  e.flow_id = pg::get_string(r, row, 2);
  e.received_at = from_micros(pg::get_int(r, row, 3));
  e.latency_us = pg::get_int(r, row, 4);
  e.outcome = pg::get_string(r, row, 5);
  e.status = static_cast<int>(pg::get_int(r, row, 6));
  e.source = pg::get_string(r, row, 7);
  e.error = pg::get_string(r, row, 8);
  if (!pg::is_null(r, row, 9)) e.request = make_buffer(pg::get_string(r, row, 9));
  e.reply = pg::get_string(r, row, 10);
  if (e.request)
    e.request_size = pg::is_null(r, row, 11) ? e.request->size() : static_cast<std::uint64_t>(pg::get_int(r, row, 11));
  e.reply_size = pg::is_null(r, row, 12) ? e.reply.size() : static_cast<std::uint64_t>(pg::get_int(r, row, 12));
  e.request_truncated = pg::get_bool(r, row, 13);
  e.reply_truncated = pg::get_bool(r, row, 14);
  if (!pg::is_null(r, row, 15)) e.keys = decode_journal_keys(pg::get_string(r, row, 15));
  if (!pg::is_null(r, row, 16)) e.steps = decode_journal_steps(pg::get_string(r, row, 16));
  return e;
}

bool move_v5_journal_into_days(pg_conn* db, std::string& error) {
  // The days version 5's rows need, rounded down for times before 1970 too (% truncates).
  constexpr std::string_view days_sql =
      "SELECT DISTINCT (t - ((t % 86400000000) + 86400000000) % 86400000000) / 86400000000 FROM ("
      "SELECT received_at AS t FROM journal_v5 UNION SELECT received_at FROM journal_keys_v5) AS times";
  pg::ResultPtr days = pg::exec(db, days_sql, error);
  if (!days) return false;
  std::string make;
  // Step 6 partitions journal and journal_keys; step 8 makes the rest of each day's partitions.
  for (int row = 0; row < pg::rows(days.get()); ++row) make += make_journal_day_sql(pg::get_int(days.get(), row, 0), 2);
  if (!make.empty() && !pg::exec_script(db, make, error)) return false;
  // seq is kept, so entries of the same microsecond keep their order, and the new identity goes on
  // after the highest.
  return pg::exec_script(db, R"sql(
INSERT INTO journal (message_id, seq, trace_id, flow_id, received_at, latency_us, outcome, status, source, error,
                     request, reply, request_size, reply_size, request_truncated, reply_truncated, business_keys)
  OVERRIDING SYSTEM VALUE
  SELECT message_id, seq, trace_id, flow_id, received_at, latency_us, outcome, status, source, error,
         request, reply, request_size, reply_size, request_truncated, reply_truncated, business_keys
  FROM journal_v5;
INSERT INTO journal_keys (name, value, received_at, message_id)
  SELECT name, value, received_at, message_id FROM journal_keys_v5;
SELECT setval(pg_get_serial_sequence('journal', 'seq'), max(seq)) FROM journal_v5 HAVING max(seq) IS NOT NULL;
DROP TABLE journal_v5, journal_keys_v5;
)sql",
                         error);
}

// Brings the schema to version `latest` (the newest unless a test asks for an older one).
Status migrate(pg_conn* db, const std::string& where,
               std::int64_t latest = static_cast<std::int64_t>(migrations.size())) {
  std::string reason;
  auto fail = [&](const std::string& what) -> Status {
    std::string rollback_error;
    pg::exec(db, "ROLLBACK", rollback_error);
    return Error{ErrorKind::config, "store: cannot " + what + " '" + where + "': " + reason};
  };
  auto refuse = [&](const std::string& why) -> Status {
    std::string rollback_error;
    pg::exec(db, "ROLLBACK", rollback_error);
    return Error{ErrorKind::config, "store: database '" + where + "' " + why};
  };
  if (!pg::exec(db, "BEGIN", reason) || !pg::exec(db, schema_lock_sql, reason)) return fail("lock the schema of");
  if (!pg::exec_script(db, "CREATE TABLE IF NOT EXISTS qiao_schema (version INTEGER NOT NULL)", reason))
    return fail("create the schema version table in");
  pg::ResultPtr found = pg::exec(db, "SELECT version FROM qiao_schema", reason);
  if (!found) return fail("read the schema version of");
  if (pg::rows(found.get()) > 1)
    return refuse("has " + std::to_string(pg::rows(found.get())) +
                  " rows in qiao_schema, which no qiao writes; use another database");
  const std::int64_t version = pg::rows(found.get()) == 1 ? pg::get_int(found.get(), 0, 0) : 0;
  if (version < 0)
    return refuse("has schema version " + std::to_string(version) + ", which no qiao writes; use another database");
  if (version > static_cast<std::int64_t>(migrations.size()))
    return refuse("has schema version " + std::to_string(version) + ", newer than this build understands (" +
                  std::to_string(migrations.size()) + "); use a newer qiao or another database");
  for (std::int64_t v = version; v < latest; ++v) {
    const MigrationStep& step = migrations[static_cast<std::size_t>(v)];
    if (!pg::exec_script(db, step.script, reason) || (step.then && !step.then(db, reason)))
      return fail("create the schema (version " + std::to_string(v + 1) + ") in");
  }
  if (version < latest) {
    const std::string set =
        "DELETE FROM qiao_schema; INSERT INTO qiao_schema (version) VALUES (" + std::to_string(latest) + ")";
    if (!pg::exec_script(db, set, reason)) return fail("set the schema version in");
  }
  if (!pg::exec(db, "COMMIT", reason)) return fail("commit the schema to");
  return Ok{};
}

// Long enough to ride out another node's batch on the same keys or a brief DDL lock, short enough
// that a wedged lock shows up as failed writes and an error rather than a writer that waits for
// ever (SQLite's busy timeout is the same 5 s).
bool start_writer_session(pg_conn* db, std::string& error) {
  return pg::exec(db, "SET lock_timeout = '5s'", error) != nullptr;
}

// The database stores TEXT in its own encoding: in anything but UTF-8 (or SQL_ASCII, which
// stores bytes as they come), Chinese text a message carries could not be written at all.
Status check_encoding(pg_conn* db, const std::string& where) {
  const std::string encoding = pg::server_setting(db, "server_encoding");
  if (encoding == "UTF8" || encoding == "SQL_ASCII") return Ok{};
  return Error{ErrorKind::config,
               "store: database '" + where + "' has encoding " + encoding + "; create it with ENCODING 'UTF8'"};
}

}  // namespace

int PostgresStore::schema_version() { return static_cast<int>(migrations.size()); }

Status PostgresStore::create_schema(const std::string& url, int version) {
  const std::string where = pg::redact(url);
  std::string reason;
  pg::ConnPtr db = pg::connect(url, reason);
  if (!db) return Error{ErrorKind::config, "store: cannot connect to '" + where + "': " + reason};
  return migrate(db.get(), where, std::clamp<std::int64_t>(version, 0, schema_version()));
}

Expected<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url, std::size_t queue_capacity,
                                                             const JournalLimits& limits, const QueueLease& lease) {
  const std::string where = pg::redact(url);
  std::string reason;
  pg::ConnPtr writer = pg::connect(url, reason);
  if (!writer) return Error{ErrorKind::config, "store: cannot connect to '" + where + "': " + reason};
  if (auto ok = check_encoding(writer.get(), where); !ok) return std::move(ok).error();
  if (auto migrated = migrate(writer.get(), where); !migrated) return std::move(migrated).error();
  if (!start_writer_session(writer.get(), reason))
    return Error{ErrorKind::config, "store: cannot set up a session on '" + where + "': " + reason};
  PostgresQueueOwners owners(lease);
  // Before the first batch: a key this node takes is never without a live lease.
  if (!owners.renew_at_open(writer.get(), reason))
    return Error{ErrorKind::config, "store: cannot start a queue lease on '" + where + "': " + reason};
  pg::ConnPtr reader = pg::connect(url, reason);
  if (!reader) return Error{ErrorKind::config, "store: cannot connect to '" + where + "': " + reason};
  log::system().info("store: this node holds its queues on '{}' as {} under a {} ms lease", where, owners.node(),
                     owners.lease().count());

  // The days there are, so stats() shows them from the start. The first pass comes retention_check
  // after opening, on the writer thread: opening drops nothing and takes no lock on the journal.
  PostgresJournalDays days;
  auto found = days.load(writer.get(), std::chrono::system_clock::now());
  if (!found)
    return Error{ErrorKind::config,
                 "store: cannot read the journal's days in '" + where + "': " + found.error().message};

  std::unique_ptr<PostgresStore> store(
      new PostgresStore(url, std::move(writer), std::move(reader), queue_capacity, limits, std::move(owners)));
  store->days_ = std::move(days);
  store->segments_.store(found->days, std::memory_order_relaxed);
  store->segment_bytes_.store(found->bytes, std::memory_order_relaxed);
  store->start_writer();
  return store;
}

PostgresStore::PostgresStore(std::string url, pg::ConnPtr writer, pg::ConnPtr reader, std::size_t queue_capacity,
                             const JournalLimits& limits, PostgresQueueOwners owners)
    : BatchedStore(pg::redact(url), "the database", queue_capacity, limits),
      url_(std::move(url)),
      where_(pg::redact(url_)),
      owners_(std::move(owners)),
      writer_db_(std::move(writer)),
      reader_db_(std::move(reader)) {}

PostgresStore::~PostgresStore() { stop_writer(); }

JournalStats PostgresStore::stats() const {
  // No free space: the disk is the database server's, which this process cannot measure; a full
  // one there fails writes, which are counted as dropped and reported.
  JournalStats s = intake_stats();
  s.segments = segments_.load(std::memory_order_relaxed);
  s.segment_bytes = segment_bytes_.load(std::memory_order_relaxed);
  s.segments_dropped = segments_dropped_.load(std::memory_order_relaxed);
  return s;
}

void PostgresStore::lost_writer_connection(const std::string& error) {
  writer_db_.reset();
  // The first attempt goes at once: a server that restarted or dropped one idle connection is
  // usually there again.
  reconnect_at_ = std::chrono::steady_clock::now();
  reconnect_backoff_ = std::chrono::milliseconds(0);
  connection_error_ = error;
  log::system().warn("store: lost the connection to '{}' ({}); writes fail until it is back", where_, error);
}

bool PostgresStore::writer_connection(std::string& error) {
  if (writer_db_ && !pg::connection_bad(writer_db_.get())) return true;
  if (writer_db_) lost_writer_connection(pg::message(writer_db_.get()));
  const auto now = std::chrono::steady_clock::now();
  if (now < reconnect_at_) {
    error = connection_error_;
    return false;
  }
  std::string reason;
  pg::ConnPtr conn = pg::connect(url_, reason);
  if (!conn || !start_writer_session(conn.get(), reason)) {
    reconnect_backoff_ = std::clamp(reconnect_backoff_ * 2, first_reconnect_backoff, max_reconnect_backoff);
    reconnect_at_ = std::chrono::steady_clock::now() + reconnect_backoff_;
    connection_error_ = "store: cannot reach '" + where_ + "': " + reason;
    error = connection_error_;
    return false;
  }
  writer_db_ = std::move(conn);
  reconnect_backoff_ = std::chrono::milliseconds(0);
  connection_error_.clear();
  log::system().info("store: connected to '{}' again", where_);
  return true;
}

void PostgresStore::between_batches(bool idle) {
  // A connection lost while idle comes back before the next write needs it.
  if (idle && !writer_db_) {
    std::string ignored;
    writer_connection(ignored);
  }
}

void PostgresStore::claim_deliveries(DeliveriesClaimed done) {
  add_queue_write(QueueWrite::claim_deliveries(std::move(done)));
}

void PostgresStore::release_deliveries(ChangesStored done) {
  add_queue_write(QueueWrite::release_deliveries(std::move(done)));
}

bool PostgresStore::insert_entries(const std::vector<JournalEntry>& batch, std::string& error) {
  pg::Params p;
  std::string sql;
  std::unordered_set<std::string_view> ids;
  std::deque<std::string> lists;  // the statement's encoded keys and steps, which its parameters point into
  std::size_t rows = 0;
  auto send = [&]() -> bool {
    if (rows == 0) return true;
    // A row is its message id at its received_at (the partition key must be in every unique key);
    // a rewrite keeps both (accept: stored), so it replaces the row as INSERT OR REPLACE does.
    sql += " ON CONFLICT (message_id, received_at) DO UPDATE SET seq = DEFAULT";
    for (std::string_view column :
         {"trace_id", "flow_id", "latency_us", "outcome", "status", "source", "error", "request", "reply",
          "request_size", "reply_size", "request_truncated", "reply_truncated", "business_keys", "steps"}) {
      sql += ", ";
      sql += column;
      sql += " = EXCLUDED.";
      sql += column;
    }
    std::string reason;
    const bool ok = pg::exec(writer_db_.get(), sql, p, reason) != nullptr;
    if (!ok) error = "store: writing an entry to '" + where_ + "' failed: " + reason;
    p.clear();
    ids.clear();
    lists.clear();
    rows = 0;
    return ok;
  };
  for (const JournalEntry& entry : batch) {
    // One statement may not change a row twice: a message id written again in the same batch
    // goes into the next statement, which replaces the first write as a later batch would.
    if (rows == rows_per_insert || ids.count(entry.message_id)) {
      if (!send()) return false;
    }
    if (rows == 0) sql = "INSERT INTO journal (" + std::string(entry_columns) + ") VALUES ";
    else sql += ", ";
    const int first = p.size();
    const std::string& row_keys = lists.emplace_back(encode_journal_keys(entry.keys));
    add_entry(p, entry, row_keys, lists.emplace_back(encode_journal_steps(entry.steps)));
    sql += '(';
    for (int i = 1; i <= entry_params; ++i) {
      if (i > 1) sql += ", ";
      sql += '$' + std::to_string(first + i);
    }
    sql += ')';
    ids.insert(entry.message_id);
    ++rows;
  }
  if (!send()) return false;

  // The key rows. A row rewritten under the same message id keeps the key rows of its first write
  // (DO NOTHING); they name a received_at the row no longer has, so the join by both leaves them
  // out, as in SQLite.
  auto send_keys = [&]() -> bool {
    if (rows == 0) return true;
    sql += " ON CONFLICT DO NOTHING";
    std::string reason;
    const bool ok = pg::exec(writer_db_.get(), sql, p, reason) != nullptr;
    if (!ok) error = "store: writing a business key to '" + where_ + "' failed: " + reason;
    p.clear();
    rows = 0;
    return ok;
  };
  for (const JournalEntry& entry : batch) {
    for (const JournalKey& key : entry.keys) {
      if (rows == rows_per_insert && !send_keys()) return false;
      if (rows == 0) sql = "INSERT INTO journal_keys (name, value, received_at, message_id) VALUES ";
      else sql += ", ";
      const int first = p.size();
      p.text(key.name).text(key.value).int64(to_micros(entry.received_at)).text(entry.message_id);
      sql += "($" + std::to_string(first + 1) + ", $" + std::to_string(first + 2) + ", $" + std::to_string(first + 3) +
             ", $" + std::to_string(first + 4) + ")";
      ++rows;
    }
  }
  return send_keys();
}

std::size_t PostgresStore::write_batch(const std::vector<JournalEntry>& batch, std::vector<QueueWrite>& writes,
                                       std::string& error, std::string& queue_error) {
  std::string reason;
  auto fail_all = [&](std::string message) -> std::size_t {
    std::string ignored;
    if (writer_db_ && !pg::connection_bad(writer_db_.get())) pg::exec(writer_db_.get(), "ROLLBACK", ignored);
    if (writer_db_ && pg::connection_bad(writer_db_.get())) lost_writer_connection(pg::message(writer_db_.get()));
    error = queue_error = std::move(message);
    return 0;
  };
  if (!writer_connection(reason)) return fail_all(reason);
  // A delivered delivery goes to the journal's day it was delivered on, which must be there too.
  const bool delivered = std::any_of(writes.begin(), writes.end(), [](const QueueWrite& write) {
    return std::any_of(write.changes.begin(), write.changes.end(),
                       [](const DeliveryChange& c) { return c.kind == DeliveryChange::Kind::delivered; });
  });
  const std::vector<JournalDay> days = batch.empty() && !delivered ? std::vector<JournalDay>{} : days_of(batch, writes);
  if (delivered && batch.empty()) {
    // Without its day the delivery still leaves the queue (the journal loses its record only).
    if (std::string ignored; !make_days(days, ignored)) log::system().warn("journal: {}", ignored);
  }
  std::size_t rows = 0;
  bool journal_rows = !batch.empty();
  // Once, when a day this writer remembered was dropped by another node meanwhile.
  bool rewrite_once = true;
  for (;;) {
    if (journal_rows && !make_days(days, error)) {
      // Without its day's partition no row can go in; the queue writes still can.
      if (!writer_connection(reason)) return fail_all(reason);
      if (writes.empty()) return fail_all(error);
      journal_rows = false;
    }
    if (!pg::exec(writer_db_.get(), "BEGIN", reason)) {
      // Nothing of the batch has been sent: a connection that died while idle (a server restart,
      // a proxy's idle timeout) is replaced and the batch goes on the new one.
      if (!pg::connection_bad(writer_db_.get()))
        return fail_all("store: beginning a write to '" + where_ + "' failed: " + reason);
      lost_writer_connection(reason);
      if (!writer_connection(reason)) return fail_all(reason);
      if (!pg::exec(writer_db_.get(), "BEGIN", reason))
        return fail_all("store: beginning a write to '" + where_ + "' failed: " + reason);
    }
    if (!journal_rows) break;
    if (insert_entries(batch, error)) {
      rows = batch.size();
      break;
    }
    if (pg::connection_bad(writer_db_.get())) return fail_all(error);
    // Nothing but the journal rows is in the transaction yet, so it is rolled back whole and the
    // batch goes again: once with the day made again when another node dropped it, else without
    // its journal rows, which must not take the queue writes along (in SQLite a bad row costs
    // that row).
    if (!pg::exec(writer_db_.get(), "ROLLBACK", reason)) return fail_all(error + "; and rolling back: " + reason);
    if (rewrite_once && days_.lost_any(writer_db_.get(), days)) {
      rewrite_once = false;
      error.clear();
      continue;
    }
    if (writes.empty()) return fail_all(error);
    journal_rows = false;
  }

  std::string failed;
  bool ok = writes.empty() || idempotency_.prune(writer_db_.get(), std::chrono::system_clock::now(), failed);
  // Every delivery of the batch in a few statements rather than one each: the server's cost is
  // per round trip. Nothing later in a batch can name a delivery queued in it (its id is not
  // known before the commit), so queueing them first changes nothing for the writes between.
  std::vector<std::vector<Delivery>*> queued;
  for (QueueWrite& write : writes)
    if (write.enqueued) queued.push_back(&write.deliveries);
  if (ok) ok = PostgresDeliveryWriter::enqueue(writer_db_.get(), queued, failed);
  if (ok) ok = owners_.hold_enqueued(writer_db_.get(), queued, failed);
  if (!ok) return fail_all(failed + " ('" + where_ + "')");
  for (QueueWrite& write : writes) {
    for (const DeliveryChange& change : write.changes) {
      if (!ok) break;
      const bool keep = change.kind == DeliveryChange::Kind::delivered && days_.knows(journal_day_of(change.at));
      ok = PostgresDeliveryWriter::apply(writer_db_.get(), change, owners_.node(), keep, failed);
    }
    if (ok && write.claimed_deliveries) ok = owners_.claim(writer_db_.get(), write.delivery_claim, failed);
    if (ok && write.release_keys) ok = owners_.release(writer_db_.get(), failed);
    if (ok && write.claim) ok = idempotency_.claim(writer_db_.get(), *write.claim, write.claim_result, failed);
    if (ok && write.settle) ok = idempotency_.settle(writer_db_.get(), *write.settle, failed);
    // Someone waits on each of these for a durable yes or a no: all of the batch is a no,
    // journal rows included, rather than a commit that keeps only some of them.
    if (!ok) return fail_all(failed + " ('" + where_ + "')");
  }
  // A lost answer to COMMIT leaves it unknown whether the server committed: the callers hear a
  // no, and a sender that tries again may leave a delivery queued twice (at least once).
  if (!pg::exec(writer_db_.get(), "COMMIT", reason))
    return fail_all("store: committing to '" + where_ + "' failed: " + reason);
  count_commit();
  return rows;
}

template <class Read>
auto PostgresStore::read_with_reconnect(Read read) const -> decltype(read(static_cast<pg_conn*>(nullptr))) {
  std::lock_guard lock(read_mutex_);
  auto reconnect = [&]() -> Status {
    std::string reason;
    reader_db_ = pg::connect(url_, reason);
    if (!reader_db_) return Error{ErrorKind::unavailable, "store: cannot reach '" + where_ + "': " + reason};
    return Ok{};
  };
  if (pg::connection_bad(reader_db_.get())) {
    if (auto ok = reconnect(); !ok) return std::move(ok).error();
  }
  auto result = read(reader_db_.get());
  // A read changes nothing, so one on a connection that died since the last can run again.
  if (!result && pg::connection_bad(reader_db_.get())) {
    if (auto ok = reconnect(); !ok) return std::move(ok).error();
    result = read(reader_db_.get());
  }
  return result;
}

namespace {

// As SqliteStore::search: with keys, the walk starts on journal_keys' primary key for the first
// key, newest first, and every further key is a probe per hit. Each day is a partition: a time
// window leaves out the others when the statement is planned (its parameters are known then), and
// a walk newest first goes through the days in order (an ordered Append), so LIMIT stops it early.
std::string search_sql(const JournalQuery& query, pg::Params& p) {
  const bool by_key = !query.keys.empty();
  std::string sql(select_columns);
  const char* separator = " WHERE ";
  auto where_clause = [&](std::string_view before, std::string_view after = "") {
    sql += separator;
    sql += before;
    sql += '$' + std::to_string(p.size());
    sql += after;
    separator = " AND ";
  };
  const std::string time = by_key ? "k.received_at" : "j.received_at";
  if (by_key) {
    sql += " FROM journal_keys k JOIN journal j ON j.message_id = k.message_id AND j.received_at = k.received_at";
    p.text(query.keys[0].name);
    where_clause("k.name = ");
    p.text(query.keys[0].value);
    where_clause("k.value = ");
  } else {
    sql += " FROM journal j";
  }
  if (query.message_id) {
    p.text(*query.message_id);
    where_clause("j.message_id = ");
  }
  if (query.flow_id) {
    p.text(*query.flow_id);
    where_clause("j.flow_id = ");
  }
  if (query.outcome) {
    p.text(*query.outcome);
    where_clause("j.outcome = ");
  }
  if (query.since) {
    p.int64(to_micros(*query.since));
    where_clause(time + " >= ");
  }
  if (query.until) {
    p.int64(to_micros(*query.until));
    where_clause(time + " < ");
  }
  for (std::size_t i = 1; i < query.keys.size(); ++i) {
    p.text(query.keys[i].name);
    where_clause("EXISTS (SELECT 1 FROM journal_keys o WHERE o.name = ");
    p.text(query.keys[i].value);
    sql += " AND o.value = $" + std::to_string(p.size()) +
           " AND o.received_at = j.received_at AND o.message_id = j.message_id)";
  }
  constexpr auto max_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  p.int64(static_cast<std::int64_t>(std::min(query.limit, max_limit)));
  // Newest first; entries of the same microsecond by seq (later write first), or on the key index
  // by message id, which keeps that walk free of a sort.
  sql += by_key ? " ORDER BY k.received_at DESC, k.message_id DESC LIMIT $"
                : " ORDER BY j.received_at DESC, j.seq DESC LIMIT $";
  sql += std::to_string(p.size());
  return sql;
}

}  // namespace

Expected<std::vector<JournalEntry>> PostgresStore::search(const JournalQuery& query) const {
  pg::Params p;
  const std::string sql = search_sql(query, p);
  return read_with_reconnect([&](pg_conn* db) -> Expected<std::vector<JournalEntry>> {
    std::string reason;
    pg::ResultPtr result = pg::exec(db, sql, p, reason);
    if (!result) return Error{ErrorKind::unavailable, "store: searching '" + where_ + "' failed: " + reason};
    std::vector<JournalEntry> entries;
    entries.reserve(static_cast<std::size_t>(pg::rows(result.get())));
    for (int row = 0; row < pg::rows(result.get()); ++row) entries.push_back(read_entry(result.get(), row));
    return entries;
  });
}

Expected<std::string> PostgresStore::query_plan(const JournalQuery& query, bool analyze) const {
  pg::Params p;
  const std::string sql =
      std::string(analyze ? "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " : "EXPLAIN (COSTS OFF) ") +
      search_sql(query, p);
  return read_with_reconnect([&](pg_conn* db) -> Expected<std::string> {
    std::string reason;
    pg::ResultPtr result = pg::exec(db, sql, p, reason);
    if (!result)
      return Error{ErrorKind::unavailable, "store: explaining a search of '" + where_ + "' failed: " + reason};
    std::string plan;
    for (int row = 0; row < pg::rows(result.get()); ++row) {
      if (row) plan += '\n';
      plan += pg::get_string(result.get(), row, 0);
    }
    return plan;
  });
}

Expected<std::vector<Delivery>> PostgresStore::deliveries(const DeliveryQuery& query) const {
  return read_with_reconnect([&](pg_conn* db) -> Expected<std::vector<Delivery>> {
    return read_postgres_deliveries(db, query, where_, owners_.node());
  });
}

Expected<std::vector<Delivery>> PostgresStore::message_deliveries(const std::string& message_id) const {
  DeliveryQuery queued;
  queued.message_id = message_id;
  queued.with_history = true;
  queued.limit = 0;
  auto found = deliveries(queued);
  if (!found) return found;
  auto delivered = read_with_reconnect(
      [&](pg_conn* db) -> Expected<std::vector<Delivery>> { return read_postgres_delivered(db, message_id, where_); });
  if (!delivered) return std::move(delivered).error();
  found->insert(found->end(), std::make_move_iterator(delivered->begin()), std::make_move_iterator(delivered->end()));
  std::sort(found->begin(), found->end(), [](const Delivery& a, const Delivery& b) { return a.id < b.id; });
  return found;
}

std::vector<JournalDay> PostgresStore::days_of(const std::vector<JournalEntry>& batch,
                                               const std::vector<QueueWrite>& writes) {
  const auto now = std::chrono::system_clock::now();
  std::vector<JournalDay> days{journal_day_of(now)};
  auto add = [&](JournalDay day) {
    if (std::find(days.begin(), days.end(), day) == days.end()) days.push_back(day);
  };
  add(journal_day_of(now + make_tomorrow_ahead));
  for (const JournalEntry& entry : batch) add(journal_day_of(entry.received_at));
  for (const QueueWrite& write : writes)
    for (const DeliveryChange& change : write.changes)
      if (change.kind == DeliveryChange::Kind::delivered) add(journal_day_of(change.at));
  return days;
}

bool PostgresStore::make_days(const std::vector<JournalDay>& days, std::string& error) {
  std::string reason;
  bool made = days_.ensure(writer_db_.get(), days, reason);
  if (!made && pg::connection_bad(writer_db_.get())) {
    // As at BEGIN: nothing of the batch was sent, so a connection that died while idle is replaced.
    lost_writer_connection(reason);
    made = writer_connection(reason) && days_.ensure(writer_db_.get(), days, reason);
  }
  if (!made) {
    error = "store: making the journal's partitions in '" + where_ + "' failed: " + reason;
    return false;
  }
  segments_.store(days_.days_begun(std::chrono::system_clock::now()), std::memory_order_relaxed);
  return true;
}

Expected<std::vector<std::string>> PostgresStore::retention_pass() {
  std::string reason;
  if (!writer_connection(reason)) return Error{ErrorKind::unavailable, reason};
  PostgresJournalDays::Pass pass = days_.enforce(writer_db_.get(), limits_, std::chrono::system_clock::now());
  if (!pass.error.empty() && pg::connection_bad(writer_db_.get())) lost_writer_connection(pass.error);
  segments_dropped_.fetch_add(pass.dropped.size(), std::memory_order_relaxed);
  for (std::size_t i = 0; i < pass.dropped.size(); ++i)
    log::system().info("journal: dropped the day {} from '{}' ({}", pass.dropped[i], where_, pass.why[i]);
  if (!pass.error.empty()) {
    // Each failure of a pass is logged; the next pass, retention_check later, tries again.
    log::system().warn("journal: a retention pass on '{}' stopped: {}", where_, pass.error);
    return Error{ErrorKind::unavailable, pass.error + " ('" + where_ + "')"};
  }
  segments_.store(pass.days, std::memory_order_relaxed);
  segment_bytes_.store(pass.bytes, std::memory_order_relaxed);
  return std::move(pass.dropped);
}

}  // namespace qiao
