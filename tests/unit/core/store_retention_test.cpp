// The journal's days: every day of messages is kept apart (a SQLite file, a PostgreSQL partition),
// a search walks them newest first, and retention drops whole days by age (journal.max_age) and by
// size (journal.max_bytes), never the day being written and never a queued delivery.

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <future>
#include <string>
#include <vector>

#include "core/store/store.hpp"
#include "tests/unit/core/store_backends.hpp"

using namespace std::chrono_literals;
using qiao::JournalEntry;
using qiao::JournalKey;
using qiao::JournalQuery;
using qiao::Store;
using Clock = std::chrono::system_clock;

using qiao_test::ids_found;

namespace {

// Midnight UTC today, so the days a test writes are whole days whatever the hour it runs at.
Clock::time_point today() {
  const auto now = std::chrono::floor<std::chrono::microseconds>(Clock::now());
  return std::chrono::floor<std::chrono::days>(now);
}

std::string day_name(Clock::time_point at) {
  const std::time_t t = Clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

JournalEntry entry_at(std::string id, Clock::time_point at, std::string patient = "P001") {
  JournalEntry e;
  e.message_id = std::move(id);
  e.trace_id = "trace-" + e.message_id;
  e.flow_id = "adt";
  e.received_at = at;
  e.latency_us = 7;
  e.outcome = "ok";
  e.status = 200;
  e.source = "mllp 127.0.0.1:50000";
  e.request = qiao::make_buffer(std::string(2000, 'x'));
  e.reply = "MSA|AA";
  e.keys = {{"patient", std::move(patient)}};
  return e;
}

std::vector<std::string> enforce(Store& store) {
  auto dropped = store.enforce_retention();
  INFO((dropped ? std::string() : dropped.error().message));
  REQUIRE(dropped.has_value());
  return *dropped;
}

// The days the database holds that have begun: a store may make tomorrow's ahead of midnight.
std::vector<std::string> days_begun(qiao_test::StoreBackend& backend, Clock::time_point midnight) {
  std::vector<std::string> days = backend.journal_days();
  std::erase_if(days, [&](const std::string& day) { return day > day_name(midnight); });
  return days;
}

// Three days: the day before yesterday, yesterday and today, two messages each.
void write_three_days(Store& store, Clock::time_point midnight) {
  const Clock::time_point days[] = {midnight - 48h, midnight - 24h, midnight};
  int n = 0;
  for (Clock::time_point day : days)
    for (auto offset : {1h, 2h}) {
      ++n;
      store.journal(entry_at("m-" + std::to_string(n), day + offset, n % 2 ? "P001" : "P002"));
    }
  store.flush();
}

}  // namespace

STORE_CASE("store: a search walks the journal's days newest first, limits and windows across them",
           "[store][retention]") {
  auto store = backend.open();
  const Clock::time_point midnight = today();
  write_three_days(*store, midnight);

  CHECK(ids_found(*store, {}) == std::vector<std::string>{"m-6", "m-5", "m-4", "m-3", "m-2", "m-1"});
  JournalQuery limited;
  limited.limit = 3;
  CHECK(ids_found(*store, limited) == std::vector<std::string>{"m-6", "m-5", "m-4"});
  JournalQuery window;
  window.since = midnight - 48h + 2h;
  window.until = midnight + 1h;  // exclusive: m-5 is at exactly this time
  CHECK(ids_found(*store, window) == std::vector<std::string>{"m-4", "m-3", "m-2"});
  JournalQuery by_id;
  by_id.message_id = "m-1";
  CHECK(ids_found(*store, by_id) == std::vector<std::string>{"m-1"});
  JournalQuery by_key;
  by_key.keys = {{"patient", "P002"}};
  CHECK(ids_found(*store, by_key) == std::vector<std::string>{"m-6", "m-4", "m-2"});
  by_key.limit = 2;
  CHECK(ids_found(*store, by_key) == std::vector<std::string>{"m-6", "m-4"});

  if (backend.lasting())
    CHECK(days_begun(backend, midnight) ==
          std::vector<std::string>{day_name(midnight - 48h), day_name(midnight - 24h), day_name(midnight)});
  CHECK(enforce(*store).empty());  // no retention configured: every day stays
  CHECK(store->stats().segments == 3);
}

STORE_CASE("store: retention drops the days older than max_age whole, their keys with them", "[store][retention]") {
  qiao::JournalLimits limits;
  limits.max_age = 24h;  // yesterday ended at midnight, less than a day ago: it stays
  auto store = backend.open(limits);
  const Clock::time_point midnight = today();
  write_three_days(*store, midnight);

  CHECK(enforce(*store) == std::vector<std::string>{day_name(midnight - 48h)});
  CHECK(ids_found(*store, {}) == std::vector<std::string>{"m-6", "m-5", "m-4", "m-3"});
  JournalQuery by_key;
  by_key.keys = {{"patient", "P001"}};
  CHECK(ids_found(*store, by_key) == std::vector<std::string>{"m-5", "m-3"});
  JournalQuery by_id;
  by_id.message_id = "m-1";
  CHECK(ids_found(*store, by_id).empty());
  if (backend.lasting())
    CHECK(days_begun(backend, midnight) == std::vector<std::string>{day_name(midnight - 24h), day_name(midnight)});
  const qiao::JournalStats stats = store->stats();
  CHECK(stats.segments == 2);
  CHECK(stats.segments_dropped == 1);
  CHECK(stats.segment_bytes > 0);

  CHECK(enforce(*store).empty());  // nothing more is old enough
  // A message that arrives for a day already dropped (a clock set back, a late row) is kept
  // until the next pass finds its day too old.
  store->journal(entry_at("late", midnight - 48h + 3h));
  store->flush();
  JournalQuery late;
  late.message_id = "late";
  CHECK(ids_found(*store, late) == std::vector<std::string>{"late"});
  CHECK(enforce(*store) == std::vector<std::string>{day_name(midnight - 48h)});
  CHECK(ids_found(*store, late).empty());
}

STORE_CASE("store: retention by size drops the oldest days first, never the day being written", "[store][retention]") {
  qiao::JournalLimits limits;
  limits.max_bytes = 1;  // smaller than any day
  auto store = backend.open(limits);
  const Clock::time_point midnight = today();
  write_three_days(*store, midnight);

  CHECK(enforce(*store) == std::vector<std::string>{day_name(midnight - 48h), day_name(midnight - 24h)});
  CHECK(ids_found(*store, {}) == std::vector<std::string>{"m-6", "m-5"});
  CHECK(store->stats().segments == 1);
  CHECK(store->stats().segments_dropped == 2);
  CHECK(enforce(*store).empty());
  // The newest day still takes messages after the passes that would have liked it gone.
  store->journal(entry_at("m-7", midnight + 3h));
  store->flush();
  CHECK(ids_found(*store, {}) == std::vector<std::string>{"m-7", "m-6", "m-5"});
}

STORE_CASE("store: dropping a day of journal leaves the queues and their deliveries alone", "[store][retention]") {
  qiao::JournalLimits limits;
  limits.max_age = 24h;
  auto store = backend.open(limits);
  const Clock::time_point midnight = today();
  write_three_days(*store, midnight);

  qiao::Delivery d;
  d.endpoint = "lis";
  d.message_id = "m-1";  // a message of the day that goes
  d.flow_id = "adt";
  d.request = "MSH|^~\\&|HIS";
  d.created_at = midnight - 48h + 1h;
  d.next_attempt_at = d.created_at;
  std::promise<qiao::Expected<std::vector<qiao::Delivery>>> stored;
  auto future = stored.get_future();
  store->enqueue({d},
                 [&stored](qiao::Expected<std::vector<qiao::Delivery>> done) { stored.set_value(std::move(done)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  REQUIRE(future.get().has_value());

  CHECK(enforce(*store).size() == 1);
  qiao::DeliveryQuery all;
  all.with_requests = true;
  auto queued = store->deliveries(all);
  REQUIRE(queued.has_value());
  REQUIRE(queued->size() == 1);
  CHECK(queued->front().message_id == "m-1");
  CHECK(queued->front().request == "MSH|^~\\&|HIS");
}

LASTING_STORE_CASE("store: the journal's days are found again when the store is reopened", "[store][retention]") {
  const Clock::time_point midnight = today();
  {
    auto store = backend.open();
    write_three_days(*store, midnight);
  }
  qiao::JournalLimits limits;
  limits.max_age = 24h;
  auto store = backend.open(limits);
  CHECK(store->stats().segments == 3);
  CHECK(ids_found(*store, {}).size() == 6);
  CHECK(enforce(*store) == std::vector<std::string>{day_name(midnight - 48h)});
  CHECK(days_begun(backend, midnight) == std::vector<std::string>{day_name(midnight - 24h), day_name(midnight)});
}
