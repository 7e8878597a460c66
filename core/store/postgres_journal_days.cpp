#include "core/store/postgres_journal_days.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/store/pg_util.hpp"

namespace qiao {

namespace {

// Held while a writer reads which partitions exist and makes the missing ones, so that two nodes
// making the same day take turns: the second finds it made. 'qiad' in ASCII ('qiao' is the schema's).
constexpr std::string_view days_lock_sql = "SELECT pg_advisory_xact_lock(1902731620)";

// The journal's partitioned tables, in the order a day's partitions are dropped: the rows first,
// so that a pass cut short leaves key rows whose join finds nothing, never rows without their keys.
// journal_deliveries and journal_attempts are partitioned by delivered_at, the others by received_at.
static_assert(PostgresJournalDays::parent_count == 4, "make_journal_day_sql's default names them all");
constexpr std::array<std::string_view, PostgresJournalDays::parent_count> parents = {
    "journal", "journal_keys", "journal_deliveries", "journal_attempts"};

std::size_t parent_index(std::string_view parent) {
  return static_cast<std::size_t>(std::find(parents.begin(), parents.end(), parent) - parents.begin());
}

// YYYYMMDD, as the partitions are named.
std::string compact_date(JournalDay day) {
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{day}}};
  char text[24];
  std::snprintf(text, sizeof text, "%04d%02u%02u", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()));
  return text;
}

std::string partition_name(std::string_view parent, JournalDay day) {
  return std::string(parent) + "_" + compact_date(day);
}

std::string make_partition_sql(std::string_view parent, JournalDay day) {
  const std::string name = partition_name(parent, day);
  return "CREATE TABLE \"" + name + "\" (LIKE " + std::string(parent) + "); ALTER TABLE " + std::string(parent) +
         " ATTACH PARTITION \"" + name + "\" FOR VALUES FROM (" + std::to_string(day * micros_per_day) + ") TO (" +
         std::to_string((day + 1) * micros_per_day) + ");";
}

// The day a partition holds, from its bound ("FOR VALUES FROM ('1764806400000000') TO (…)"), when it
// is one whole UTC day named as this file names it; anything else (a partition an operator made)
// is not one of the journal's days and is left alone.
std::optional<JournalDay> day_of_partition(std::string_view parent, std::string_view name, std::string_view bound) {
  constexpr std::string_view from = "FROM ('";
  const std::size_t at = bound.find(from);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string digits(bound.substr(at + from.size()));
  char* end = nullptr;
  const long long start = std::strtoll(digits.c_str(), &end, 10);
  if (end == digits.c_str() || *end != '\'') return std::nullopt;
  if (start % micros_per_day != 0) return std::nullopt;
  const JournalDay day = start / micros_per_day;
  if (name != partition_name(parent, day)) return std::nullopt;
  if (bound.find("TO ('" + std::to_string((day + 1) * micros_per_day) + "')") == std::string_view::npos)
    return std::nullopt;
  return day;
}

}  // namespace

std::string make_journal_day_sql(JournalDay day, std::size_t tables) {
  std::string sql;
  for (std::size_t i = 0; i < std::min(tables, parents.size()); ++i) sql += make_partition_sql(parents[i], day);
  return sql;
}

Expected<std::map<JournalDay, PostgresJournalDays::Partitions>> PostgresJournalDays::list(pg_conn* db,
                                                                                          bool with_sizes) {
  // A partition another node drops meanwhile has no size any more (NULL): it counts for nothing.
  std::string sql = "SELECT c.relname::text, p.relname::text, pg_get_expr(c.relpartbound, c.oid), ";
  sql += with_sizes ? "coalesce(pg_total_relation_size(c.oid), 0)" : "0::bigint";
  sql +=
      " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
      "WHERE i.inhparent IN ('journal'::regclass, 'journal_keys'::regclass, 'journal_deliveries'::regclass, "
      "'journal_attempts'::regclass)";
  std::string reason;
  pg::ResultPtr result = pg::exec(db, sql, reason);
  if (!result) return Error{ErrorKind::unavailable, reason};
  std::map<JournalDay, Partitions> found;
  for (int row = 0; row < pg::rows(result.get()); ++row) {
    const std::string name = pg::get_string(result.get(), row, 0);
    const std::string parent = pg::get_string(result.get(), row, 1);
    const auto day = day_of_partition(parent, name, pg::get_string(result.get(), row, 2));
    if (!day) continue;
    Partitions& partitions = found[*day];
    partitions.present[parent_index(parent)] = true;
    partitions.bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(pg::get_int(result.get(), row, 3), 0));
  }
  return found;
}

void PostgresJournalDays::remember(const std::map<JournalDay, Partitions>& found) {
  known_.clear();
  for (const auto& [day, partitions] : found)
    if (partitions.complete()) known_.insert(day);
}

Expected<PostgresJournalDays::Pass> PostgresJournalDays::load(pg_conn* db, std::chrono::system_clock::time_point now) {
  auto found = list(db, true);
  if (!found) return std::move(found).error();
  remember(*found);
  Pass pass;
  const JournalDay today = journal_day_of(now);
  for (const auto& [day, partitions] : *found) {
    if (day > today) continue;
    ++pass.days;
    pass.bytes += partitions.bytes;
  }
  return pass;
}

bool PostgresJournalDays::ensure(pg_conn* db, const std::vector<JournalDay>& days, std::string& error) {
  if (std::all_of(days.begin(), days.end(), [&](JournalDay day) { return known_.count(day) > 0; })) return true;
  std::string reason;
  auto fail = [&]() {
    std::string ignored;
    if (!pg::connection_bad(db)) pg::exec(db, "ROLLBACK", ignored);
    error = reason;
    return false;
  };
  if (!pg::exec(db, "BEGIN", reason) || !pg::exec(db, days_lock_sql, reason)) return fail();
  // Read again under the lock: another node may have made some of them since this writer looked.
  auto found = list(db, false);
  if (!found) {
    reason = found.error().message;
    return fail();
  }
  remember(*found);
  std::string sql;
  std::set<JournalDay> made;
  for (JournalDay day : days) {
    if (known_.count(day) || !made.insert(day).second) continue;
    const auto it = found->find(day);
    // Some without the others is what a pass cut short left, or a day from before a table was
    // partitioned by day: the missing ones are made.
    for (std::size_t i = 0; i < parents.size(); ++i)
      if (it == found->end() || !it->second.present[i]) sql += make_partition_sql(parents[i], day);
  }
  if (!sql.empty() && !pg::exec_script(db, sql, reason)) return fail();
  if (!pg::exec(db, "COMMIT", reason)) return fail();
  known_.insert(made.begin(), made.end());
  return true;
}

bool PostgresJournalDays::lost_any(pg_conn* db, const std::vector<JournalDay>& days) {
  auto found = list(db, false);
  if (!found) return false;
  remember(*found);
  return std::any_of(days.begin(), days.end(), [&](JournalDay day) { return known_.count(day) == 0; });
}

std::uint64_t PostgresJournalDays::days_begun(std::chrono::system_clock::time_point now) const {
  const JournalDay today = journal_day_of(now);
  const auto begun = std::count_if(known_.begin(), known_.end(), [&](JournalDay day) { return day <= today; });
  return static_cast<std::uint64_t>(begun);
}

PostgresJournalDays::Pass PostgresJournalDays::enforce(pg_conn* db, const JournalLimits& limits,
                                                       std::chrono::system_clock::time_point now) {
  Pass pass;
  auto found = list(db, true);
  if (!found) {
    pass.error = "store: listing the journal's days failed: " + found.error().message;
    return pass;
  }
  remember(*found);
  const JournalDay today = journal_day_of(now);
  std::vector<std::pair<JournalDay, Partitions>> begun;
  for (const auto& entry : *found)
    if (entry.first <= today) begun.push_back(entry);  // a map: oldest first

  std::size_t keep_from = 0;  // begun[keep_from …] stay
  if (limits.max_age.count() > 0)
    while (keep_from < begun.size() && now - journal_day_start(begun[keep_from].first + 1) > limits.max_age)
      ++keep_from;
  std::uint64_t total = 0;
  for (std::size_t i = keep_from; i < begun.size(); ++i) total += begun[i].second.bytes;
  const std::size_t by_age = keep_from;
  if (limits.max_bytes > 0)
    while (total > limits.max_bytes && begun.size() - keep_from > 1) total -= begun[keep_from++].second.bytes;

  for (std::size_t i = 0; i < keep_from; ++i) {
    const auto& [day, partitions] = begun[i];
    // The journal's partition first: should the second statement fail, what is left is key rows
    // whose join finds no row, dropped by the next pass, never rows without their keys.
    std::string reason;
    for (std::size_t p = 0; p < parents.size(); ++p) {
      const std::string_view parent = parents[p];
      if (!partitions.present[p]) continue;
      // Under the days' advisory lock: two nodes dropping the same partition at once would
      // otherwise have the second fail ("could not find tuple for parent of relation"), as IF
      // EXISTS looks before it waits for the first's lock. After the lock the first has committed.
      const std::string drop = "BEGIN; " + std::string(days_lock_sql) + "; DROP TABLE IF EXISTS \"" +
                               partition_name(parent, day) + "\"; COMMIT;";
      if (!pg::exec_script(db, drop, reason)) {
        std::string ignored;
        if (!pg::connection_bad(db)) pg::exec(db, "ROLLBACK", ignored);
        pass.error = "store: dropping the journal's day " + journal_day_name(day) + " (" + partition_name(parent, day) +
                     ") failed: " + reason;
        break;
      }
    }
    known_.erase(day);
    if (!pass.error.empty()) {
      // What was kept is counted as kept; the day is tried again by the next pass.
      keep_from = i;
      break;
    }
    pass.dropped.push_back(journal_day_name(day));
    pass.why.push_back(std::to_string(partitions.bytes) + " bytes): " +
                       (i < by_age ? "older than journal.max_age" : "the journal was larger than journal.max_bytes"));
  }
  pass.days = begun.size() - keep_from;
  pass.bytes = 0;
  for (std::size_t i = keep_from; i < begun.size(); ++i) pass.bytes += begun[i].second.bytes;
  return pass;
}

bool PostgresJournalDays::complete_days(pg_conn* db, std::string& error) {
  auto found = list(db, false);
  if (!found) {
    error = found.error().message;
    return false;
  }
  std::string sql;
  for (const auto& [day, partitions] : *found)
    for (std::size_t i = 0; i < parents.size(); ++i)
      if (!partitions.present[i]) sql += make_partition_sql(parents[i], day);
  return sql.empty() || pg::exec_script(db, sql, error);
}

}  // namespace qiao
