#include "core/store/pg_util.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "core/log.hpp"

namespace qiao::pg {

namespace {

// Type OIDs (pg_type.dat); fixed since PostgreSQL's first releases.
constexpr unsigned bool_oid = 16;
constexpr unsigned bytea_oid = 17;
constexpr unsigned int8_oid = 20;
constexpr unsigned int4_oid = 23;
constexpr unsigned text_oid = 25;
constexpr unsigned int8_array_oid = 1016;

// libpq's messages span lines, indented with tabs; an error here is one line of a log.
std::string one_line(const char* text) {
  std::string s;
  for (const char* p = text ? text : ""; *p; ++p) {
    const bool space = *p == '\n' || *p == '\t' || *p == ' ';
    if (!space) s += *p;
    else if (!s.empty() && s.back() != ' ') s += ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s.empty() ? std::string("unknown error") : s;
}

std::uint64_t big_endian(const char* p, int size) {
  std::uint64_t v = 0;
  for (int i = 0; i < size; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Length of the valid UTF-8 sequence at s[i], 0 when it is not one (overlong forms, surrogates
// and code points above U+10FFFF included, as PostgreSQL refuses them too).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return c == 0 ? 0 : 1;
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;
  else if (c == 0xED) n = 3, hi = 0x9F;
  else if (c >= 0xE1 && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c == 0xF4) n = 4, hi = 0x8F;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

void ConnCloser::operator()(pg_conn* conn) const { PQfinish(conn); }
void ResultClearer::operator()(pg_result* result) const { PQclear(result); }

// The passwords a URL holds (user:PASSWORD@, password=PASSWORD), as written in it.
std::vector<std::string> passwords(std::string_view url) {
  std::vector<std::string> found;
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    const std::size_t start = scheme + 3;
    const std::size_t end = std::min(url.find_first_of("/?", start), url.size());
    const std::string_view authority = url.substr(start, end - start);
    const std::size_t at = authority.rfind('@');
    const std::size_t colon = authority.find(':');
    if (at != std::string_view::npos && colon < at && at > colon + 1)
      found.emplace_back(authority.substr(colon + 1, at - colon - 1));
  }
  for (std::size_t pos = url.find("password="); pos != std::string_view::npos; pos = url.find("password=", pos + 1)) {
    const std::size_t value = pos + std::strlen("password=");
    const std::size_t end = std::min(url.find_first_of("& ", value), url.size());
    if (end > value) found.emplace_back(url.substr(value, end - value));
  }
  return found;
}

std::string redact(std::string_view url) {
  std::string out(url);
  // URI form: scheme://user:password@host…
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    const std::size_t end = std::min(out.find_first_of("/?", start), out.size());
    const std::string_view authority = std::string_view(out).substr(start, end - start);
    const std::size_t at = authority.rfind('@');
    const std::size_t colon = authority.find(':');
    if (at != std::string_view::npos && colon < at) out.replace(start + colon + 1, at - colon - 1, "***");
  }
  // password=… in a URI's query or a conninfo string.
  for (std::size_t pos = out.find("password="); pos != std::string::npos; pos = out.find("password=", pos + 1)) {
    const std::size_t value = pos + std::strlen("password=");
    const std::size_t end = std::min(out.find_first_of("& ", value), out.size());
    out.replace(value, end - value, "***");
  }
  return out;
}

ConnPtr connect(const std::string& url, std::string& error) {
  // Later keywords win over earlier ones, the URL's own settings included: these are defaults
  // that the URL may override. UTF8 is what TEXT parameters are made valid as (fix_utf8).
  const std::array<const char*, 5> keywords = {"connect_timeout", "application_name", "client_encoding", "dbname",
                                               nullptr};
  const std::array<const char*, 5> values = {"10", "qiao", "UTF8", url.c_str(), nullptr};
  ConnPtr conn(PQconnectdbParams(keywords.data(), values.data(), 1));
  if (!conn) {
    error = "out of memory";
    return nullptr;
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    error = message(conn.get());
    // libpq quotes the part of a URL it cannot parse, which may be the password.
    for (const std::string& password : passwords(url))
      for (std::size_t pos = error.find(password); pos != std::string::npos; pos = error.find(password, pos + 3))
        error.replace(pos, password.size(), "***");
    return nullptr;
  }
  // libpq prints the server's notices to stderr by default ("relation … already exists,
  // skipping" at every start): the gateway's output is its logs.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char* text) { log::system().debug("store: the database says: {}", one_line(text)); },
      nullptr);
  return conn;
}

std::string message(pg_conn* conn) { return conn ? one_line(PQerrorMessage(conn)) : std::string("out of memory"); }

bool connection_bad(pg_conn* conn) { return conn == nullptr || PQstatus(conn) != CONNECTION_OK; }

std::optional<std::string> fix_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) break;
    i += n;
  }
  if (i == s.size()) return std::nullopt;
  std::string out(s.substr(0, i));
  while (i < s.size()) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

Params& Params::add(unsigned type, const char* data, std::size_t size, int format) {
  types_.push_back(type);
  values_.push_back(data);
  lengths_.push_back(static_cast<int>(size));
  formats_.push_back(format);
  return *this;
}

Params& Params::own(unsigned type, std::string value) {
  const std::string& kept = owned_.emplace_back(std::move(value));
  return add(type, kept.c_str(), kept.size(), 0);
}

Params& Params::text(std::string_view s) {
  if (auto fixed = fix_utf8(s)) return own(text_oid, std::move(*fixed));
  // Binary format: TEXT's binary form is its bytes, so the view goes as it is, with no NUL needed.
  return add(text_oid, s.data() ? s.data() : "", s.size(), 1);
}

Params& Params::bytes(std::string_view s) { return add(bytea_oid, s.data() ? s.data() : "", s.size(), 1); }
Params& Params::int64(std::int64_t v) { return own(int8_oid, std::to_string(v)); }
Params& Params::int32(std::int64_t v) { return own(int4_oid, std::to_string(v)); }
Params& Params::boolean(bool v) { return add(bool_oid, v ? "t" : "f", 1, 0); }
Params& Params::null_bytes() { return add(bytea_oid, nullptr, 0, 1); }
Params& Params::null_int64() { return add(int8_oid, nullptr, 0, 0); }

Params& Params::int64_array(const std::vector<std::int64_t>& values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) literal += ',';
    literal += std::to_string(values[i]);
  }
  literal += '}';
  return own(int8_array_oid, std::move(literal));
}

void Params::clear() {
  types_.clear();
  values_.clear();
  lengths_.clear();
  formats_.clear();
  owned_.clear();
}

ResultPtr exec(pg_conn* conn, std::string_view sql, const Params& params, std::string& error) {
  const std::string statement(sql);
  ResultPtr result(PQexecParams(conn, statement.c_str(), params.size(), params.types(), params.values(),
                                params.lengths(), params.formats(), 1));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  error = result ? one_line(PQresultErrorMessage(result.get())) : message(conn);
  if (error == "unknown error") error = message(conn);
  return nullptr;
}

ResultPtr exec(pg_conn* conn, std::string_view sql, std::string& error) { return exec(conn, sql, Params{}, error); }

bool exec_script(pg_conn* conn, std::string_view sql, std::string& error) {
  const std::string script(sql);
  // The simple query protocol: the only one that takes several statements in one string.
  ResultPtr result(PQexec(conn, script.c_str()));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return true;
  error = result ? one_line(PQresultErrorMessage(result.get())) : message(conn);
  return false;
}

std::string server_setting(pg_conn* conn, const char* name) {
  const char* value = PQparameterStatus(conn, name);
  return value ? std::string(value) : std::string();
}

bool is_null(const pg_result* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }

std::int64_t get_int(const pg_result* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return 0;
  const int size = PQgetlength(r, row, col);
  const std::uint64_t v = big_endian(PQgetvalue(r, row, col), size);
  switch (size) {
    case 2: return static_cast<std::int16_t>(v);
    case 4: return static_cast<std::int32_t>(v);
    default: return static_cast<std::int64_t>(v);
  }
}

bool get_bool(const pg_result* r, int row, int col) {
  return !PQgetisnull(r, row, col) && PQgetlength(r, row, col) == 1 && PQgetvalue(r, row, col)[0] != 0;
}

std::string get_string(const pg_result* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return {};
  return std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}

int rows(const pg_result* r) { return PQntuples(r); }

std::uint64_t changed(const pg_result* r) {
  const char* n = PQcmdTuples(const_cast<pg_result*>(r));
  return n && *n ? std::strtoull(n, nullptr, 10) : 0;
}

}  // namespace qiao::pg
