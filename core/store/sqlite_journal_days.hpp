#pragma once
// The SQLite journal keeps each UTC day of messages in a database of its own, so that retention
// deletes a file (its space back on the disk at once) instead of deleting rows, which on SQLite
// only moves pages to a free list and on a large journal takes hours (Mirth's pruning). A file
// store's days are `<stem>-journal/YYYY-MM-DD.db` beside the main file (`var/qiao.db` →
// `var/qiao-journal/2026-12-04.db`); an in-memory store's are memdb databases of their own.
//
// JournalDays is the catalog: which days exist, where each one is, the read-only connection a
// search uses for it, and their size. The writer thread adds and removes days; searches (on the
// admin API's thread) read them; neither waits for the other for longer than a map lookup.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

struct sqlite3;

namespace qiao {

// A UTC day, as days since 1970-01-01.
using JournalDay = std::int64_t;

inline constexpr std::int64_t micros_per_day = 86'400'000'000;

JournalDay journal_day_of(std::chrono::system_clock::time_point at);
JournalDay journal_day_of_micros(std::int64_t micros);
std::chrono::system_clock::time_point journal_day_start(JournalDay day);
std::string journal_day_name(JournalDay day);                        // 2026-12-04
std::optional<JournalDay> parse_journal_day(std::string_view name);  // the inverse, strictly

class JournalDays {
 public:
  // `store_path`: the main database file, or ":memory:"; `memory_base` names an in-memory store's
  // databases ("/qiao-store-7"), empty for a file store.
  JournalDays(std::string store_path, std::string memory_base);

  bool memory() const { return !memory_base_.empty(); }
  // What sqlite3_open_v2 or ATTACH takes for the day: a path, or a memdb URI.
  std::string location(JournalDay day) const;
  // The directory of a file store's days (empty for memory).
  const std::string& directory() const { return directory_; }
  // Reads the days already on disk (at open). Files whose names are not days are left alone.
  Status discover();

  std::vector<JournalDay> days() const;  // oldest first
  bool contains(JournalDay day) const;
  void add(JournalDay day);
  // Forgets the day; a search still reading it keeps its connection until it is done.
  void remove(JournalDay day);

  // The read-only connection of a day, opened on first use; null when it cannot be opened (the
  // day was dropped meanwhile), with the reason in `error`. Callers serialise searches.
  std::shared_ptr<sqlite3> reader(JournalDay day, std::string& error) const;

  // Bytes a file store's day takes on the disk (the database and its WAL); none in memory, where
  // the writer measures it (JournalWriter::memory_bytes).
  std::optional<std::uint64_t> file_bytes(JournalDay day) const;
  // Deletes a dropped day's files. A search that still has one open frees it when it finishes.
  Status delete_files(JournalDay day) const;

 private:
  const std::string store_path_;
  const std::string memory_base_;
  const std::string directory_;
  mutable std::mutex mutex_;
  mutable std::map<JournalDay, std::shared_ptr<sqlite3>> days_;  // a null connection: not opened yet
};

}  // namespace qiao
