#pragma once
// What the SQLite store's files share: statement handles, binding, reading columns, time as
// microseconds since the Unix epoch (plain integers, so time windows are integer ranges).

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace qiao::sqlite {

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const;
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

std::string message(sqlite3* db);
std::int64_t to_micros(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_micros(std::int64_t us);
// The string must outlive the step that reads it (SQLITE_STATIC).
int bind_text(sqlite3_stmt* stmt, int index, std::string_view s);
// A non-null pointer with size 0 binds an empty BLOB; only a null pointer would bind NULL.
int bind_blob(sqlite3_stmt* stmt, int index, std::string_view s);
// The column's bytes as stored: column_blob works for TEXT too and never converts them.
std::string column_string(sqlite3_stmt* stmt, int index);
// A statement kept for the connection's life; false on failure (the reason is on the connection).
bool prepare_persistent(sqlite3* db, std::string_view sql, StmtPtr& out);
// Each statement as prepare_persistent; false at the first that does not prepare.
bool prepare_all(sqlite3* db, std::span<const std::pair<std::string_view, StmtPtr*>> statements);
// Steps a statement that returns no rows, then resets it and clears its bindings; on failure
// `error` says "store: WHAT failed: " and SQLite's reason.
bool step_done(sqlite3* db, sqlite3_stmt* stmt, std::string_view what, std::string& error);
// Steps a statement that returns no rows and resets it; SQLITE_DONE on success.
int run(sqlite3_stmt* stmt);

}  // namespace qiao::sqlite
