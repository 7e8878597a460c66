#pragma once
// A journal search on one day's database (sqlite_journal_days.hpp). SqliteStore::search runs it
// on the days the query's time window touches, newest first, until the limit is reached: within
// a day the rows come newest first, and every row of a later day is later than any of an earlier.

#include <cstddef>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/store/store.hpp"

struct sqlite3;

namespace qiao {

// Appends to `out` at most `limit` rows of the day that match (`query.limit` is not used).
// `where` names the day in an error.
Status search_journal_day(sqlite3* db, const JournalQuery& query, std::size_t limit, const std::string& where,
                          std::vector<JournalEntry>& out);
// Appends the message's deliveries delivered on that day, each with its attempts.
Status delivered_in_day(sqlite3* db, const std::string& message_id, const std::string& where,
                        std::vector<Delivery>& out);
// SQLite's plan for that search (EXPLAIN QUERY PLAN, its steps joined by "; ").
Expected<std::string> journal_day_plan(sqlite3* db, const JournalQuery& query, const std::string& where);

}  // namespace qiao
