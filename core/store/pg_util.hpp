#pragma once
// What the PostgreSQL store's files share: connections, statement parameters, reading binary
// result columns, and text the server will take. Time is microseconds since the Unix epoch in
// BIGINT columns, as in the SQLite store (sqlite::to_micros), so windows are integer ranges.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

struct pg_conn;
struct pg_result;

namespace qiao::pg {

struct ConnCloser {
  void operator()(pg_conn* conn) const;
};
using ConnPtr = std::unique_ptr<pg_conn, ConnCloser>;

struct ResultClearer {
  void operator()(pg_result* result) const;
};
using ResultPtr = std::unique_ptr<pg_result, ResultClearer>;

// The URL with its password (user:PASSWORD@, password=…) replaced by "***", for messages and logs.
std::string redact(std::string_view url);

// Connects to `url` (a postgres:// URI or a conninfo string). Unless the URL says otherwise it
// gives up after connect_timeout seconds, so an unreachable server is an error rather than a hang.
// On failure `error` holds libpq's reason, which never contains the password.
ConnPtr connect(const std::string& url, std::string& error);
// The connection's last error, on one line.
std::string message(pg_conn* conn);
bool connection_bad(pg_conn* conn);

// TEXT columns take valid UTF-8 without NUL bytes only; anything else fails the whole statement.
// Free text (an error message, a source) may hold any bytes, so they are stored with each invalid
// byte and each NUL replaced by U+FFFD. Returns nothing when `s` is fine as it is (the usual case).
std::optional<std::string> fix_utf8(std::string_view s);

// The parameters of one statement. Views must outlive the statement; numbers, fixed text and
// booleans are copied. Every parameter carries its type, so the server never has to guess.
class Params {
 public:
  Params& text(std::string_view s);   // TEXT, made valid with fix_utf8
  Params& bytes(std::string_view s);  // BYTEA, sent as it is (binary format)
  Params& int64(std::int64_t v);      // BIGINT
  Params& int32(std::int64_t v);      // INTEGER
  Params& boolean(bool v);
  Params& int64_array(const std::vector<std::int64_t>& values);  // BIGINT[]
  Params& null_bytes();                                          // a NULL BYTEA
  Params& null_int64();                                          // a NULL BIGINT
  int size() const { return static_cast<int>(values_.size()); }
  void clear();

  const unsigned* types() const { return types_.data(); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  Params& add(unsigned type, const char* data, std::size_t size, int format);
  Params& own(unsigned type, std::string value);

  std::vector<unsigned> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::deque<std::string> owned_;  // a deque: growing it moves no string, so pointers stay valid
};

// Runs one statement with results in binary format. Null on failure, with `error` set to the
// server's (or libpq's) reason on one line.
ResultPtr exec(pg_conn* conn, std::string_view sql, const Params& params, std::string& error);
ResultPtr exec(pg_conn* conn, std::string_view sql, std::string& error);
// Runs several statements separated by ';' (a migration step); false with `error` on failure.
bool exec_script(pg_conn* conn, std::string_view sql, std::string& error);
// A setting the server reported at connection (server_encoding …); empty when unknown.
std::string server_setting(pg_conn* conn, const char* name);

// Binary result columns.
bool is_null(const pg_result* r, int row, int col);
std::int64_t get_int(const pg_result* r, int row, int col);  // SMALLINT, INTEGER or BIGINT
bool get_bool(const pg_result* r, int row, int col);
std::string get_string(const pg_result* r, int row, int col);  // TEXT or BYTEA bytes
int rows(const pg_result* r);
// Rows a command changed (UPDATE, DELETE …).
std::uint64_t changed(const pg_result* r);

}  // namespace qiao::pg
