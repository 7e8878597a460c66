#include "core/store/sqlite_util.hpp"

#include <sqlite3.h>

namespace qiao::sqlite {

void StmtFinalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

std::string message(sqlite3* db) { return db ? std::string(sqlite3_errmsg(db)) : std::string("out of memory"); }

std::int64_t to_micros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_micros(std::int64_t us) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds(us)));
}

int bind_text(sqlite3_stmt* stmt, int index, std::string_view s) {
  return sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int bind_blob(sqlite3_stmt* stmt, int index, std::string_view s) {
  return sqlite3_bind_blob64(stmt, index, s.data() ? s.data() : "", s.size(), SQLITE_STATIC);
}

std::string column_string(sqlite3_stmt* stmt, int index) {
  const void* data = sqlite3_column_blob(stmt, index);
  const int size = sqlite3_column_bytes(stmt, index);
  if (data == nullptr || size <= 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

bool prepare_persistent(sqlite3* db, std::string_view sql, StmtPtr& out) {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  out.reset(stmt);
  return rc == SQLITE_OK;
}

bool prepare_all(sqlite3* db, std::span<const std::pair<std::string_view, StmtPtr*>> statements) {
  for (const auto& [sql, stmt] : statements)
    if (!prepare_persistent(db, sql, *stmt)) return false;
  return true;
}

bool step_done(sqlite3* db, sqlite3_stmt* stmt, std::string_view what, std::string& error) {
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc == SQLITE_DONE) return true;
  error = "store: " + std::string(what) + " failed: " + message(db);
  return false;
}

int run(sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  return rc;
}

}  // namespace qiao::sqlite
