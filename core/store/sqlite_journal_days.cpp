#include "core/store/sqlite_journal_days.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "core/store/sqlite_util.hpp"

namespace qiao {

namespace fs = std::filesystem;

namespace {

// A read-only search opens few pages of a day; its cache need not be larger.
constexpr int reader_cache_kib = 1024;
constexpr int reader_busy_timeout_ms = 5000;

// `var/qiao.db` → `var/qiao-journal`.
std::string directory_of(const std::string& store_path) {
  const fs::path path(store_path);
  return (path.parent_path() / (path.stem().string() + "-journal")).string();
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

}  // namespace

JournalDay journal_day_of_micros(std::int64_t micros) {
  // Floor, not truncation: a time before 1970 belongs to the day it falls in.
  JournalDay day = micros / micros_per_day;
  if (micros % micros_per_day < 0) --day;
  return day;
}

JournalDay journal_day_of(std::chrono::system_clock::time_point at) {
  return journal_day_of_micros(sqlite::to_micros(at));
}

std::chrono::system_clock::time_point journal_day_start(JournalDay day) {
  return sqlite::from_micros(day * micros_per_day);
}

std::string journal_day_name(JournalDay day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::optional<JournalDay> parse_journal_day(std::string_view name) {
  if (name.size() != 10 || name[4] != '-' || name[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  auto number = [&](std::size_t at, std::size_t length, auto& out) {
    const char* first = name.data() + at;
    auto [end, ec] = std::from_chars(first, first + length, out);
    return ec == std::errc() && end == first + length;
  };
  if (!number(0, 4, y) || !number(5, 2, m) || !number(8, 2, d)) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  const JournalDay day = std::chrono::sys_days(ymd).time_since_epoch().count();
  if (journal_day_name(day) != name) return std::nullopt;  // e.g. a year written with a sign
  return day;
}

JournalDays::JournalDays(std::string store_path, std::string memory_base)
    : store_path_(std::move(store_path)),
      memory_base_(std::move(memory_base)),
      directory_(memory() ? std::string() : directory_of(store_path_)) {}

std::string JournalDays::location(JournalDay day) const {
  if (memory()) return "file:" + memory_base_ + "-" + journal_day_name(day) + "?vfs=memdb";
  return directory_ + "/" + journal_day_name(day) + ".db";
}

Status JournalDays::discover() {
  if (memory()) return Ok{};
  std::error_code ec;
  fs::directory_iterator it(directory_, ec);
  if (ec == std::errc::no_such_file_or_directory) return Ok{};
  if (ec)
    return Error{ErrorKind::config, "store: cannot read the journal's days in '" + directory_ + "': " + ec.message()};
  std::lock_guard lock(mutex_);
  for (const fs::directory_entry& file : it) {
    if (file.path().extension() != ".db") continue;
    if (auto day = parse_journal_day(file.path().stem().string())) days_.try_emplace(*day);
  }
  return Ok{};
}

std::vector<JournalDay> JournalDays::days() const {
  std::lock_guard lock(mutex_);
  std::vector<JournalDay> out;
  out.reserve(days_.size());
  for (const auto& entry : days_) out.push_back(entry.first);
  return out;
}

bool JournalDays::contains(JournalDay day) const {
  std::lock_guard lock(mutex_);
  return days_.contains(day);
}

void JournalDays::add(JournalDay day) {
  std::lock_guard lock(mutex_);
  days_.try_emplace(day);
}

void JournalDays::remove(JournalDay day) {
  std::lock_guard lock(mutex_);
  days_.erase(day);
}

std::shared_ptr<sqlite3> JournalDays::reader(JournalDay day, std::string& error) const {
  std::lock_guard lock(mutex_);
  const auto found = days_.find(day);
  if (found == days_.end()) {
    error = "the day " + journal_day_name(day) + " is no longer kept";
    return nullptr;
  }
  if (found->second) return found->second;
  const std::string where = location(day);
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | (memory() ? SQLITE_OPEN_URI : 0);
  const int rc = sqlite3_open_v2(where.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  if (rc != SQLITE_OK) {
    error = "cannot open '" + where + "': " + sqlite::message(db.get());
    return nullptr;
  }
  sqlite3_busy_timeout(db.get(), reader_busy_timeout_ms);
  const std::string cache = "PRAGMA cache_size = -" + std::to_string(reader_cache_kib);
  sqlite3_exec(db.get(), cache.c_str(), nullptr, nullptr, nullptr);
  found->second = std::shared_ptr<sqlite3>(db.release(), DbCloser{});
  return found->second;
}

std::optional<std::uint64_t> JournalDays::file_bytes(JournalDay day) const {
  if (memory()) return std::nullopt;
  std::uint64_t total = 0;
  const std::string file = location(day);
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(file + suffix, ec);
    if (!ec) total += size;
  }
  return total;
}

Status JournalDays::delete_files(JournalDay day) const {
  if (memory()) return Ok{};
  const std::string file = location(day);
  for (const char* suffix : {"-wal", "-shm", ""}) {
    std::error_code ec;
    fs::remove(file + suffix, ec);
    if (ec) return Error{ErrorKind::unavailable, "store: cannot delete '" + file + suffix + "': " + ec.message()};
  }
  return Ok{};
}

}  // namespace qiao
