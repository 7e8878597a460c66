#pragma once
// The stores the store tests run against: SQLite in memory, SQLite in a file, PostgreSQL. A case
// written once with STORE_CASE becomes one TEST_CASE for SQLite (memory and file, or file only)
// and one for PostgreSQL, each its own CTest test; the PostgreSQL one is tagged [postgres], which
// gives it the server of the CTest fixture "postgres" (tests/CMakeLists.txt).

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/store/postgres_store.hpp"
#include "core/store/sqlite_journal_days.hpp"
#include "core/store/sqlite_store.hpp"
#include "core/store/store.hpp"

namespace qiao_test {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("qiao-store-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A connection to a PostgreSQL database from outside the store, as another node or an operator's
// psql would have.
class RawPg {
 public:
  explicit RawPg(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    INFO(PQerrorMessage(conn_));
    REQUIRE(PQstatus(conn_) == CONNECTION_OK);
  }
  ~RawPg() { PQfinish(conn_); }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;
  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(r);
    INFO(sql << ": " << PQresultErrorMessage(r));
    PQclear(r);
    REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
  }
  // The first column of the first row, as text.
  std::string text(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    INFO(sql << ": " << PQresultErrorMessage(r));
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 1;
    const std::string out = ok ? std::string(PQgetvalue(r, 0, 0)) : std::string();
    PQclear(r);
    REQUIRE(ok);
    return out;
  }

 private:
  PGconn* conn_;
};

// A second connection to a SQLite store's file, as another process would have.
class RawSqlite {
 public:
  explicit RawSqlite(const fs::path& file) { REQUIRE(sqlite3_open(file.c_str(), &db_) == SQLITE_OK); }
  ~RawSqlite() { sqlite3_close(db_); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;
  void exec(const std::string& sql) {
    INFO(sql << ": " << sqlite3_errmsg(db_));
    REQUIRE(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string out(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Where the PostgreSQL test server listens, as a URL without its database: QIAO_TEST_POSTGRES
// (postgresql://USER@HOST:PORT of a server where the tests may create databases), else the
// fixture's state file. Nothing when PostgreSQL is not installed: `absent` then says why.
inline std::optional<std::string> postgres_test_server(std::string& absent) {
  if (const char* env = std::getenv("QIAO_TEST_POSTGRES"); env && *env) return std::string(env);
  std::ifstream state(QIAO_PG_TEST_STATE);
  std::string line, host, port;
  while (std::getline(state, line)) {
    if (line.starts_with("absent")) {
      absent = "PostgreSQL is not installed (" + line.substr(7) + "): the PostgreSQL store was not tested";
      return std::nullopt;
    }
    if (line.starts_with("host=")) host = line.substr(5);
    if (line.starts_with("port=")) port = line.substr(5);
  }
  if (!host.empty()) {
    // A socket directory is a host too, percent-encoded in a URL.
    std::string encoded;
    for (unsigned char c : host) {
      static const char hex[] = "0123456789ABCDEF";
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') encoded += static_cast<char>(c);
      else encoded += {'%', hex[c >> 4], hex[c & 15]};
    }
    return "postgresql://postgres@" + encoded + ":" + port;
  }
  if (access("/usr/lib/postgresql/15/bin/postgres", X_OK) != 0) {
    absent = "PostgreSQL is not installed: the PostgreSQL store was not tested";
    return std::nullopt;
  }
  FAIL(
      "no PostgreSQL test server: run the test through ctest (fixture 'postgres'), or start one with "
      "tests/support/postgres-test-server.sh start " QIAO_PG_TEST_STATE ", or set QIAO_TEST_POSTGRES");
  return std::nullopt;
}

// What a test does with a store besides the Store interface.
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  virtual std::string name() const = 0;
  // A store on this backend's database. Another call opens another store on the same database
  // (a restart, or a second gateway node), except in memory, where each store is its own.
  virtual std::unique_ptr<qiao::Store> open(const qiao::JournalLimits& limits = {},
                                            std::size_t queue_capacity = 65536) = 0;
  // Whether the database outlives a store and can be reached from outside (sql_text, sql_exec).
  virtual bool lasting() const = 0;
  virtual std::string sql_text(const std::string& sql) = 0;
  virtual void sql_exec(const std::string& sql) = 0;
  // How the store's errors name its database.
  virtual std::string where() const = 0;
  // store.url of a lasting store's database, for qiao::open_store.
  virtual std::string url() const = 0;
  // What the backend's error says of a table that is not there.
  virtual std::string missing_table(const std::string& table) const = 0;
  virtual bool measures_free_space() const = 0;
  virtual std::string last_write_error(const qiao::Store& store) const = 0;
  // Another connection keeps the store's writer from writing the journal until release_writes,
  // as another process, a lock or a stalled disk would; what the store takes meanwhile waits.
  virtual void hold_writes() = 0;
  virtual void release_writes() = 0;
  // The days of journal the database holds, as YYYY-MM-DD, oldest first, seen from outside the
  // store: SQLite's day files (none in memory, where nothing outside can look), PostgreSQL's
  // partitions of the journal.
  virtual std::vector<std::string> journal_days() = 0;
  // Removes the journal's table under the running store, as a slip in an operator's shell would,
  // where the store keeps rows received at `at`.
  struct DroppedJournal {
    std::string where;  // how the store's errors name the database
    std::string table;  // and the table, as its writer names it
  };
  virtual DroppedJournal drop_journal(std::chrono::system_clock::time_point at) = 0;
};

class SqliteBackend final : public StoreBackend {
 public:
  explicit SqliteBackend(bool memory) : memory_(memory) {}
  std::string name() const override { return memory_ ? "sqlite memory" : "sqlite file"; }
  std::unique_ptr<qiao::Store> open(const qiao::JournalLimits& limits = {},
                                    std::size_t queue_capacity = 65536) override {
    auto opened = memory_ ? qiao::SqliteStore::open_memory(queue_capacity, limits)
                          : qiao::SqliteStore::open(file(), queue_capacity, limits);
    INFO((opened ? std::string() : opened.error().message));
    REQUIRE(opened.has_value());
    return std::move(opened).value();
  }
  bool lasting() const override { return !memory_; }
  std::string sql_text(const std::string& sql) override {
    REQUIRE_FALSE(memory_);
    return RawSqlite(file()).text(sql);
  }
  void sql_exec(const std::string& sql) override {
    REQUIRE_FALSE(memory_);
    RawSqlite(file()).exec(sql);
  }
  std::string where() const override { return memory_ ? ":memory:" : file(); }
  std::string url() const override { return memory_ ? "sqlite::memory:" : "sqlite://" + file(); }
  std::string missing_table(const std::string& table) const override { return "no such table: " + table; }
  bool measures_free_space() const override { return !memory_; }
  std::string last_write_error(const qiao::Store& store) const override {
    return dynamic_cast<const qiao::SqliteStore&>(store).last_write_error();
  }
  // The write lock of the file: the writer waits in its busy timeout.
  void hold_writes() override {
    REQUIRE_FALSE(memory_);
    holder_ = std::make_unique<RawSqlite>(file());
    holder_->exec("BEGIN IMMEDIATE");
  }
  void release_writes() override {
    holder_->exec("COMMIT");
    holder_.reset();
  }
  std::string file() const { return (dir_.path() / "qiao.db").string(); }
  std::string day_file(std::chrono::system_clock::time_point at) const {
    return (dir_.path() / "qiao-journal" / (qiao::journal_day_name(qiao::journal_day_of(at)) + ".db")).string();
  }
  // The writer has the day attached under the name day_YYYYMMDD.
  DroppedJournal drop_journal(std::chrono::system_clock::time_point at) override {
    REQUIRE_FALSE(memory_);
    RawSqlite(day_file(at)).exec("DROP TABLE journal");
    std::string day = qiao::journal_day_name(qiao::journal_day_of(at));
    std::erase(day, '-');
    return {day_file(at), "day_" + day + ".journal"};
  }
  // A day's file is qiao-journal/YYYY-MM-DD.db beside qiao.db, with its -wal and -shm.
  std::vector<std::string> journal_days() override {
    std::vector<std::string> days;
    if (memory_) return days;
    std::error_code ec;
    for (const auto& file : fs::directory_iterator(dir_.path() / "qiao-journal", ec))
      if (file.path().extension() == ".db") days.push_back(file.path().stem().string());
    std::sort(days.begin(), days.end());
    return days;
  }

 private:
  bool memory_;
  TempDir dir_;
  std::unique_ptr<RawSqlite> holder_;
};

// A database of its own on the test server, dropped at the end.
class PostgresBackend final : public StoreBackend {
 public:
  explicit PostgresBackend(std::string server) : server_(std::move(server)) {
    std::random_device rd;
    database_ = "qiao_test_" + std::to_string(rd()) + "_" + std::to_string(getpid());
    RawPg(server_ + "/postgres").exec("CREATE DATABASE " + database_);
    raw_ = std::make_unique<RawPg>(url());
  }
  ~PostgresBackend() override {
    holder_.reset();
    raw_.reset();
    PGconn* admin = PQconnectdb((server_ + "/postgres").c_str());
    PQclear(PQexec(admin, ("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)").c_str()));
    PQfinish(admin);
  }
  std::string name() const override { return "postgres"; }
  std::unique_ptr<qiao::Store> open(const qiao::JournalLimits& limits = {},
                                    std::size_t queue_capacity = 65536) override {
    auto opened = qiao::PostgresStore::open(url(), queue_capacity, limits);
    INFO((opened ? std::string() : opened.error().message));
    REQUIRE(opened.has_value());
    return std::move(opened).value();
  }
  bool lasting() const override { return true; }
  std::string sql_text(const std::string& sql) override { return raw_->text(sql); }
  void sql_exec(const std::string& sql) override { raw_->exec(sql); }
  std::string where() const override { return url(); }
  std::string missing_table(const std::string& table) const override {
    return "relation \"" + table + "\" does not exist";
  }
  bool measures_free_space() const override { return false; }
  std::string last_write_error(const qiao::Store& store) const override {
    return dynamic_cast<const qiao::PostgresStore&>(store).last_write_error();
  }
  // A lock that conflicts with the writer's inserts, held by a transaction of another connection.
  void hold_writes() override {
    holder_ = std::make_unique<RawPg>(url());
    holder_->exec("BEGIN");
    holder_->exec("LOCK TABLE journal IN SHARE MODE");
  }
  void release_writes() override {
    holder_->exec("COMMIT");
    holder_.reset();
  }
  // A day's partition of journal is journal_YYYYMMDD (journal_keys has its own of the same day).
  std::vector<std::string> journal_days() override {
    std::vector<std::string> days;
    const std::string names = raw_->text(
        "SELECT coalesce(string_agg(c.relname, ',' ORDER BY c.relname), '') FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'journal'");
    std::size_t start = 0;
    while (start < names.size()) {
      std::size_t end = names.find(',', start);
      if (end == std::string::npos) end = names.size();
      const std::string name = names.substr(start, end - start);  // journal_20261204
      if (name.size() == 16) days.push_back(name.substr(8, 4) + "-" + name.substr(12, 2) + "-" + name.substr(14, 2));
      start = end + 1;
    }
    return days;
  }
  DroppedJournal drop_journal(std::chrono::system_clock::time_point) override {
    raw_->exec("DROP TABLE journal");
    return {url(), "journal"};
  }
  // store.url of the test's database.
  std::string url() const override { return server_ + "/" + database_; }
  const std::string& server() const { return server_; }
  const std::string& database() const { return database_; }
  RawPg& raw() { return *raw_; }

 private:
  std::string server_;
  std::string database_;
  std::unique_ptr<RawPg> raw_;
  std::unique_ptr<RawPg> holder_;
};

// The ids a search finds, in its order; the search must succeed.
inline std::vector<std::string> ids_found(const qiao::Store& store, const qiao::JournalQuery& query) {
  auto found = store.search(query);
  INFO((found ? std::string() : found.error().message));
  REQUIRE(found.has_value());
  std::vector<std::string> ids;
  for (const qiao::JournalEntry& e : *found) ids.push_back(e.message_id);
  return ids;
}

// Runs `body` with a PostgreSQL database, or says why there is none and returns.
template <class Body>
void with_postgres(Body body) {
  std::string absent;
  const auto server = postgres_test_server(absent);
  if (!server) {
    WARN(absent);
    return;
  }
  PostgresBackend backend(*server);
  body(backend);
}

enum class SqliteKinds { memory_and_file, file_only };

template <class Body>
void with_sqlite(SqliteKinds kinds, Body body) {
  const bool memory = kinds == SqliteKinds::memory_and_file ? GENERATE(true, false) : false;
  SqliteBackend backend(memory);
  INFO(backend.name() << " store");
  body(backend);
}

}  // namespace qiao_test

#define QIAO_STORE_CONCAT_(a, b) a##b
#define QIAO_STORE_CONCAT(a, b) QIAO_STORE_CONCAT_(a, b)
#define QIAO_STORE_CASE_(name, tags, kinds, fn)                                      \
  static void fn(qiao_test::StoreBackend& backend);                                  \
  TEST_CASE(name, tags) { qiao_test::with_sqlite(kinds, fn); }                       \
  TEST_CASE(name " (postgres)", tags "[postgres]") {                                 \
    qiao_test::with_postgres([](qiao_test::StoreBackend& backend) { fn(backend); }); \
  }                                                                                  \
  static void fn(qiao_test::StoreBackend& backend)
// STORE_CASE("store: …", "[store]") { body using `backend` } — SQLite in memory and in a file,
// and PostgreSQL. LASTING_STORE_CASE: only stores whose database outlives them (no memory).
#define STORE_CASE(name, tags) \
  QIAO_STORE_CASE_(name, tags, qiao_test::SqliteKinds::memory_and_file, QIAO_STORE_CONCAT(store_case_, __LINE__))
#define LASTING_STORE_CASE(name, tags) \
  QIAO_STORE_CASE_(name, tags, qiao_test::SqliteKinds::file_only, QIAO_STORE_CONCAT(store_case_, __LINE__))
