#pragma once
// The PostgreSQL journal's days. `journal` and `journal_keys` are range-partitioned by received_at,
// `journal_deliveries` and `journal_attempts` (delivered deliveries) by delivered_at, one partition
// of each per UTC day (journal_YYYYMMDD, journal_keys_YYYYMMDD, …), so that a day's key rows go
// with its rows and retention drops whole days: DROP TABLE gives the space back to the
// disk at once, where a DELETE would leave dead rows for VACUUM and churn every index. There is
// no DEFAULT partition, which would keep rows no retention can drop and, once it holds a row of a
// day, refuse that day's partition: the writer makes a day's partitions before it inserts rows of
// that day. Writer thread only (the store's writer connection); several nodes may share a database.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/store/sqlite_journal_days.hpp"  // JournalDay, journal_day_of, journal_day_name: one UTC day for both
#include "core/store/store.hpp"

struct pg_conn;

namespace qiao {

// The statements (within an open transaction) that make a day's partitions: each a table
// LIKE its parent, then attached, which takes SHARE UPDATE EXCLUSIVE on the parent (CREATE TABLE …
// PARTITION OF would take ACCESS EXCLUSIVE, stopping every search and write while it waits).
// `tables`: the first that many of the journal's partitioned tables (journal, journal_keys,
// journal_deliveries, journal_attempts), for a migration step that comes before the later ones.
std::string make_journal_day_sql(JournalDay day, std::size_t tables = 4);

class PostgresJournalDays {
 public:
  // journal, journal_keys (by received_at), journal_deliveries, journal_attempts (by delivered_at).
  static constexpr std::size_t parent_count = 4;

  // What a retention pass did and found.
  struct Pass {
    std::vector<std::string> dropped;  // oldest first, YYYY-MM-DD
    std::vector<std::string> why;      // for each of them: the bytes it held and the limit it passed
    std::uint64_t days = 0;            // days kept that have begun (stats().segments)
    std::uint64_t bytes = 0;           // their partitions' size, both tables (stats().segment_bytes)
    std::string error;                 // why the pass stopped early; the days in `dropped` are gone
  };

  // Reads which days the database has and their size, as a pass would, dropping nothing.
  Expected<Pass> load(pg_conn* db, std::chrono::system_clock::time_point now);
  // Makes sure both partitions of every one of `days` exist before rows of them are inserted.
  // Days this writer knows are there cost nothing; for the others one transaction, outside the
  // batch's (so that a batch rolled back does not take a partition this writer remembers with it),
  // under an advisory lock so that nodes making the same day at once take turns, reads the
  // catalog again and makes what is still missing. Needs the connection idle, not in a transaction.
  bool ensure(pg_conn* db, const std::vector<JournalDay>& days, std::string& error);
  // After a batch failed to insert: whether a day of `days` this writer thought was there is gone
  // (another node's retention dropped it). Refreshes what it knows from the catalog either way, so
  // that ensure() makes the day again. Works inside a transaction too.
  bool lost_any(pg_conn* db, const std::vector<JournalDay>& days);
  // The retention pass: drops the days that ended more than max_age ago, then the oldest while
  // the days together are larger than max_bytes, never the newest day that has begun. Each DROP
  // TABLE IF EXISTS is its own transaction (journal's partition, then journal_keys'), so the pass
  // holds one parent's lock at a time and cannot deadlock with writers and searches taking both;
  // another node dropping the same day at once is fine. Days that have not begun (tomorrow's,
  // made ahead of midnight; a day a clock set ahead wrote) are neither counted nor dropped.
  Pass enforce(pg_conn* db, const JournalLimits& limits, std::chrono::system_clock::time_point now);
  // Days whose partitions this writer knows to exist and that have begun by `now`.
  std::uint64_t days_begun(std::chrono::system_clock::time_point now) const;
  // Whether this writer knows the day's partitions exist (made or seen): rows of it can go in.
  bool knows(JournalDay day) const { return known_.count(day) > 0; }
  // Migration: makes the partitions a day lacks because its table was partitioned by day after
  // the day was made (journal_deliveries and journal_attempts, schema step 8). In the migration's
  // transaction.
  static bool complete_days(pg_conn* db, std::string& error);

 private:
  struct Partitions {
    std::array<bool, parent_count> present{};  // by the order of the parents
    std::uint64_t bytes = 0;
    bool complete() const {
      for (bool p : present)
        if (!p) return false;
      return true;
    }
  };
  // The partitions of journal and journal_keys whose names this file gives them, by day.
  static Expected<std::map<JournalDay, Partitions>> list(pg_conn* db, bool with_sizes);
  void remember(const std::map<JournalDay, Partitions>& found);

  std::set<JournalDay> known_;  // days with both partitions, as this writer last saw or made them
};

}  // namespace qiao
