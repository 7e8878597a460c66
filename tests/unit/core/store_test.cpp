// The journal: what journal() writes and search() finds, payload limits, a full queue, a failed
// write. STORE_CASE runs a case against SQLite (memory and file) and PostgreSQL; the cases after
// them are SQLite's own (files, pragmas, free space, old schemas).

#include "core/store/store.hpp"

#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/store/sqlite_journal_days.hpp"
#include "core/store/sqlite_store.hpp"
#include "tests/unit/core/journal_queue.hpp"
#include "tests/unit/core/store_backends.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using qiao::ErrorKind;
using qiao::JournalEntry;
using qiao::JournalQuery;
using qiao::SqliteStore;
using qiao::Store;
using qiao_test::TempDir;
using RawDb = qiao_test::RawSqlite;

namespace {

// The store keeps microseconds, so test times are whole microseconds.
const std::chrono::system_clock::time_point t0{std::chrono::microseconds(1'700'000'000'123'456)};

JournalEntry make_entry(std::string id, std::string flow = "registration", std::string outcome = "ok",
                        std::chrono::system_clock::time_point at = t0) {
  JournalEntry e;
  e.message_id = std::move(id);
  e.trace_id = "trace-" + e.message_id;
  e.flow_id = std::move(flow);
  e.received_at = at;
  e.latency_us = 42;
  e.outcome = std::move(outcome);
  e.status = 200;
  e.source = "http 127.0.0.1:53122 POST /api/registration";
  e.request = qiao::make_buffer("{\"id\":\"" + e.message_id + "\"}");
  e.reply = "{}";
  return e;
}

std::unique_ptr<Store> open_memory() {
  auto store = qiao::open_store("sqlite::memory:", "");
  REQUIRE(store.has_value());
  return std::move(store).value();
}

std::vector<std::string> ids_of(const std::vector<JournalEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.message_id);
  return ids;
}

std::vector<JournalEntry> search(const Store& store, const JournalQuery& query) {
  auto found = store.search(query);
  REQUIRE(found.has_value());
  return std::move(found).value();
}

}  // namespace

STORE_CASE("store: an entry reads back with every field, binary bytes included", "[store]") {
  auto store = backend.open();

  JournalEntry full = make_entry("m-1", "payment", "upstream", t0);
  full.trace_id = "trace-abc";
  full.latency_us = 1'234'567;
  full.status = 502;
  full.source = "tcp 10.0.0.7:40112";
  full.error = "bank: response code 96";
  const std::string binary_request("\x02\x00\x30\x00\xff\xfe\0tail", 11);
  full.request = qiao::make_buffer(binary_request);
  full.reply = std::string("\0\x01\x02reply", 8);

  JournalEntry nothing_received = make_entry("m-2", "-", "not_found", t0 - 1s);
  nothing_received.request = nullptr;
  nothing_received.reply.clear();

  JournalEntry empty_request = make_entry("m-3", "-", "bad_input", t0 - 2s);
  empty_request.request = qiao::make_buffer("");

  store->journal(full);
  store->journal(nothing_received);
  store->journal(empty_request);
  store->flush();
  CHECK(store->written() == 3);
  CHECK(store->dropped() == 0);

  JournalQuery by_id;
  by_id.message_id = "m-1";
  auto found = search(*store, by_id);
  REQUIRE(found.size() == 1);
  const JournalEntry& e = found[0];
  CHECK(e.message_id == "m-1");
  CHECK(e.trace_id == "trace-abc");
  CHECK(e.flow_id == "payment");
  CHECK(e.received_at == t0);
  CHECK(e.latency_us == 1'234'567);
  CHECK(e.outcome == "upstream");
  CHECK(e.status == 502);
  CHECK(e.source == "tcp 10.0.0.7:40112");
  CHECK(e.error == "bank: response code 96");
  REQUIRE(e.request != nullptr);
  CHECK(e.request->size() == 11);
  CHECK(*e.request == binary_request);
  CHECK(e.reply.size() == 8);
  CHECK(e.reply == full.reply);

  by_id.message_id = "m-2";
  found = search(*store, by_id);
  REQUIRE(found.size() == 1);
  CHECK(found[0].request == nullptr);  // "nothing received" stays distinct from "empty"
  CHECK(found[0].reply.empty());

  by_id.message_id = "m-3";
  found = search(*store, by_id);
  REQUIRE(found.size() == 1);
  REQUIRE(found[0].request != nullptr);
  CHECK(found[0].request->empty());

  by_id.message_id = "m-404";
  CHECK(search(*store, by_id).empty());
}

STORE_CASE("store: search filters by flow, outcome and time, newest first, up to the limit", "[store]") {
  auto store = backend.open();
  // a-* in flow "adt", r-* in flow "registration"; one entry per second, r-2 failed.
  store->journal(make_entry("a-0", "adt", "ok", t0 + 0s));
  store->journal(make_entry("r-1", "registration", "ok", t0 + 1s));
  store->journal(make_entry("r-2", "registration", "timeout", t0 + 2s));
  store->journal(make_entry("a-3", "adt", "timeout", t0 + 3s));
  store->journal(make_entry("r-4", "registration", "ok", t0 + 4s));
  store->flush();

  JournalQuery q;
  CHECK(ids_of(search(*store, q)) == std::vector<std::string>{"r-4", "a-3", "r-2", "r-1", "a-0"});

  q.flow_id = "registration";
  CHECK(ids_of(search(*store, q)) == std::vector<std::string>{"r-4", "r-2", "r-1"});

  q.outcome = "timeout";
  CHECK(ids_of(search(*store, q)) == std::vector<std::string>{"r-2"});

  q.flow_id.reset();
  CHECK(ids_of(search(*store, q)) == std::vector<std::string>{"a-3", "r-2"});

  SECTION("since is inclusive, until exclusive") {
    JournalQuery window;
    window.since = t0 + 1s;
    window.until = t0 + 3s;
    CHECK(ids_of(search(*store, window)) == std::vector<std::string>{"r-2", "r-1"});
    window.until.reset();
    CHECK(ids_of(search(*store, window)) == std::vector<std::string>{"r-4", "a-3", "r-2", "r-1"});
    window.since.reset();
    window.until = t0 + 1s;
    CHECK(ids_of(search(*store, window)) == std::vector<std::string>{"a-0"});
  }

  SECTION("every filter at once") {
    JournalQuery all;
    all.message_id = "a-3";
    all.flow_id = "adt";
    all.outcome = "timeout";
    all.since = t0;
    all.until = t0 + 10s;
    CHECK(ids_of(search(*store, all)) == std::vector<std::string>{"a-3"});
    all.outcome = "ok";
    CHECK(search(*store, all).empty());
  }

  SECTION("limit keeps the newest") {
    JournalQuery limited;
    limited.limit = 2;
    CHECK(ids_of(search(*store, limited)) == std::vector<std::string>{"r-4", "a-3"});
    limited.limit = 0;
    CHECK(search(*store, limited).empty());
  }
}

STORE_CASE("store: a rewritten message id replaces the entry instead of failing the batch", "[store]") {
  auto store = backend.open();
  JournalEntry first = make_entry("dup");
  JournalEntry retry = make_entry("dup");
  retry.status = 503;
  store->journal(first);
  store->journal(make_entry("other"));
  store->journal(retry);  // same batch as the first write
  store->flush();
  CHECK(store->written() == 3);
  CHECK(store->dropped() == 0);

  retry.status = 504;
  store->journal(retry);  // a later batch
  store->flush();

  JournalQuery q;
  q.message_id = "dup";
  auto found = search(*store, q);
  REQUIRE(found.size() == 1);
  CHECK(found[0].status == 504);
  CHECK(search(*store, JournalQuery{}).size() == 2);
}

STORE_CASE("store: 10000 entries from 4 threads are all written and searchable", "[store]") {
  auto store = backend.open();
  constexpr int threads = 4;
  constexpr int per_thread = 2500;

  // A reader searching throughout checks that searches and the writer do not get in each
  // other's way (and gives the thread sanitizer something to look at).
  std::atomic<bool> writing{true};
  std::atomic<int> failed_searches{0};
  std::thread reader([&] {
    JournalQuery q;
    q.flow_id = "flow-1";
    q.limit = 50;
    while (writing.load()) {
      if (!store->search(q).has_value()) failed_searches.fetch_add(1);
      std::this_thread::yield();
    }
  });

  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&store, t] {
      for (int i = 0; i < per_thread; ++i)
        store->journal(make_entry("t" + std::to_string(t) + "-" + std::to_string(i), "flow-" + std::to_string(t), "ok",
                                  t0 + std::chrono::microseconds(i)));
    });
  }
  for (auto& w : writers) w.join();
  store->flush();
  writing = false;
  reader.join();

  CHECK(failed_searches.load() == 0);
  CHECK(store->written() == 10000);
  CHECK(store->dropped() == 0);

  JournalQuery all;
  all.limit = 20000;
  auto found = search(*store, all);
  REQUIRE(found.size() == 10000);
  const auto ids = ids_of(found);
  const std::set<std::string> unique(ids.begin(), ids.end());
  CHECK(unique.size() == 10000);

  JournalQuery one_flow;
  one_flow.flow_id = "flow-2";
  one_flow.limit = 20000;
  found = search(*store, one_flow);
  REQUIRE(found.size() == per_thread);
  CHECK(found.front().message_id == "t2-2499");  // newest first
  CHECK(found.back().message_id == "t2-0");
}

TEST_CASE("store: a file store creates its directory and keeps its entries across reopening", "[store]") {
  TempDir dir;
  const fs::path file = dir.path() / "var" / "nested" / "qiao.db";
  {
    auto store = qiao::open_store("sqlite://var/nested/qiao.db", dir.path().string());
    REQUIRE(store.has_value());
    for (int i = 0; i < 100; ++i) (*store)->journal(make_entry("p-" + std::to_string(i), "adt", "ok", t0 + i * 1ms));
    // No flush: closing the store must write what is still queued.
  }
  REQUIRE(fs::exists(file));
  {
    RawDb raw(file);
    CHECK(raw.text("PRAGMA journal_mode") == "wal");
    CHECK(raw.text("PRAGMA user_version") == "6");
    CHECK(raw.text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'journal%'") == "0");  // in its days
  }
  {
    // t0's day: the journal of a file store is a database per UTC day beside it.
    RawDb day(dir.path() / "var" / "nested" / "qiao-journal" /
              (qiao::journal_day_name(qiao::journal_day_of(t0)) + ".db"));
    CHECK(day.text("PRAGMA journal_mode") == "wal");
    CHECK(day.text("PRAGMA user_version") == "1");
    CHECK(day.text("SELECT count(*) FROM journal") == "100");
    CHECK(day.text("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal' AND name LIKE "
                   "'journal_%'") == "3");
  }
  // An absolute path ignores base_dir.
  auto reopened = qiao::open_store("sqlite://" + file.string(), "/nonexistent-base");
  REQUIRE(reopened.has_value());
  auto found = search(**reopened, JournalQuery{});
  REQUIRE(found.size() == 100);
  CHECK(found.front().message_id == "p-99");
  CHECK(found.front().received_at == t0 + 99ms);
  REQUIRE(found.front().request != nullptr);
  CHECK(*found.front().request == "{\"id\":\"p-99\"}");

  (*reopened)->journal(make_entry("p-100", "adt", "ok", t0 + 100ms));
  (*reopened)->flush();
  JournalQuery all;
  all.limit = 1000;
  CHECK(search(**reopened, all).size() == 101);
}

TEST_CASE("store: unusable urls and files are config errors that say why", "[store]") {
  TempDir dir;

  SECTION("unsupported schemes") {
    for (const std::string url : {"mysql://db/qiao", "sqlite:qiao.db", "postgres:/qiao", "qiao.db", ""}) {
      auto store = qiao::open_store(url, dir.path().string());
      REQUIRE_FALSE(store.has_value());
      CHECK(store.error().kind == ErrorKind::config);
      CHECK(store.error().message ==
            "store: unsupported url '" + url + "' (use sqlite://PATH or postgres://USER@HOST/DB)");
    }
  }

  SECTION("a url without a file") {
    auto store = qiao::open_store("sqlite://", dir.path().string());
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error().kind == ErrorKind::config);
    CHECK(store.error().message == "store: url 'sqlite://' names no file (use sqlite://PATH)");
  }

  SECTION("a directory that cannot be created") {
    std::ofstream(dir.path() / "blocker") << "a file where a directory should be";
    auto store = qiao::open_store("sqlite://blocker/qiao.db", dir.path().string());
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error().kind == ErrorKind::config);
    CHECK_THAT(store.error().message,
               Catch::StartsWith("store: cannot create directory '" + (dir.path() / "blocker").string() + "'"));
  }

  SECTION("a path that is a directory") {
    fs::create_directories(dir.path() / "adir.db");
    auto store = qiao::open_store("sqlite://adir.db", dir.path().string());
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error().kind == ErrorKind::config);
    CHECK_THAT(store.error().message,
               Catch::StartsWith("store: cannot open '" + (dir.path() / "adir.db").string() + "': "));
  }

  SECTION("a file that is not a database") {
    std::ofstream(dir.path() / "notes.db") << std::string(4096, 'x');
    auto store = qiao::open_store("sqlite://notes.db", dir.path().string());
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error().kind == ErrorKind::config);
    CHECK(store.error().message ==
          "store: cannot open '" + (dir.path() / "notes.db").string() + "': file is not a database");
  }

  SECTION("a schema newer than this build") {
    {
      RawDb raw(dir.path() / "future.db");
      raw.exec("PRAGMA user_version = 99");
    }
    auto store = qiao::open_store("sqlite://future.db", dir.path().string());
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error().kind == ErrorKind::config);
    CHECK_THAT(store.error().message, Catch::Contains("has schema version 99, newer than this build understands (6)"));
  }

  SECTION("a schema version no qiao writes") {
    {
      RawDb raw(dir.path() / "odd.db");
      raw.exec("PRAGMA user_version = -3");
    }
    auto store = qiao::open_store("sqlite://odd.db", dir.path().string());
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error().kind == ErrorKind::config);
    CHECK_THAT(store.error().message, Catch::Contains("has schema version -3, which no qiao writes"));
  }
}

LASTING_STORE_CASE(
    "store: past its bound the queue takes every entry, says it has no room, and calls waiters once the writer took it",
    "[store][journal]") {
  constexpr std::size_t capacity = 8;
  auto opened = backend.open({}, capacity);
  Store& store = *opened;
  CHECK(store.journal_has_room());
  bool at_once = false;
  store.when_journal_has_room([&] { at_once = true; });
  CHECK(at_once);  // room now: called on this thread before it returned

  // The writer waits with whatever batch it took (in SQLite's busy timeout, or on PostgreSQL's
  // lock), and the queue fills.
  backend.hold_writes();
  // Once the writer has taken these it is stuck on the lock, so everything after stays queued.
  for (std::size_t i = 0; i < capacity; ++i) store.journal(make_entry("first-" + std::to_string(i)));
  REQUIRE(journal_test::writer_took_queue(store));
  constexpr int sent = 4 * capacity;
  for (int i = 0; i < sent; ++i) store.journal(make_entry("q-" + std::to_string(i)));
  CHECK_FALSE(store.journal_has_room());
  CHECK(store.stats().queued == sent);  // past the bound: every one kept
  CHECK(store.stats().queue_bound == capacity);
  std::atomic<int> called{0};
  std::atomic<bool> on_writer_thread{false};
  const auto test_thread = std::this_thread::get_id();
  for (int i = 0; i < 3; ++i)
    store.when_journal_has_room([&] {
      on_writer_thread = std::this_thread::get_id() != test_thread;
      called.fetch_add(1);
    });
  CHECK(called == 0);
  CHECK(store.written() == 0);

  backend.release_writes();
  store.flush();
  CHECK(called == 3);
  CHECK(on_writer_thread);
  CHECK(store.journal_has_room());
  CHECK(store.written() == sent + capacity);
  CHECK(store.dropped() == 0);
  CHECK(store.stats().dropped_write_failed == 0);
  CHECK(store.stats().failed_writes == 0);
  CHECK(backend.last_write_error(store).empty());
  JournalQuery all;
  all.limit = 1000;
  CHECK(search(store, all).size() == sent + capacity);
}

TEST_CASE("store: an in-memory store belongs to its owner alone", "[store]") {
  auto first = open_memory();
  auto second = open_memory();
  first->journal(make_entry("only-in-first"));
  first->flush();
  CHECK(search(*first, JournalQuery{}).size() == 1);
  CHECK(search(*second, JournalQuery{}).empty());
}

LASTING_STORE_CASE("store: a failed write is counted as dropped and reported, and flush still returns", "[store]") {
  auto opened = backend.open();
  Store& store = *opened;
  store.journal(make_entry("before"));
  store.flush();
  REQUIRE(store.written() == 1);

  // Someone removes the table under the running store: every row of the next batch fails.
  const auto dropped = backend.drop_journal(t0);
  for (int i = 0; i < 5; ++i) store.journal(make_entry("lost-" + std::to_string(i)));
  store.flush();
  CHECK(store.written() == 1);
  CHECK(store.dropped() == 5);
  CHECK(store.stats().dropped_write_failed == 5);
  CHECK(store.stats().failed_writes >= 1);
  CHECK_THAT(backend.last_write_error(store),
             Catch::StartsWith("store: writing an entry to '" + dropped.where + "' failed: "));
  CHECK_THAT(backend.last_write_error(store), Catch::Contains(backend.missing_table(dropped.table)));

  auto found = store.search(JournalQuery{});
  REQUIRE_FALSE(found.has_value());
  CHECK(found.error().kind == ErrorKind::unavailable);
  CHECK_THAT(found.error().message, Catch::Contains(backend.missing_table("journal")));
}

namespace {

JournalEntry find_one(const Store& store, const std::string& id) {
  JournalQuery by_id;
  by_id.message_id = id;
  auto found = search(store, by_id);
  REQUIRE(found.size() == 1);
  return found[0];
}

}  // namespace

STORE_CASE("store: a payload over journal.max_payload_bytes keeps its beginning, its size and a mark", "[store]") {
  qiao::JournalLimits limits;
  limits.max_payload_bytes = 16;
  limits.min_free_bytes = 0;  // a file store on a nearly full disk would store no payload at all
  auto opened = backend.open(limits);
  Store& store = *opened;

  const std::string request(100, 'r');
  const std::string reply = std::string(16, 'a') + "beyond the limit";
  JournalEntry big = make_entry("big");
  big.request = qiao::make_buffer(request);
  big.reply = reply;
  JournalEntry at_limit = make_entry("at-limit");
  at_limit.request = qiao::make_buffer(std::string(16, 'x'));
  at_limit.reply = std::string(16, 'y');
  JournalEntry nothing_received = make_entry("nothing");
  nothing_received.request = nullptr;

  store.journal(big);
  store.journal(at_limit);
  store.journal(nothing_received);
  store.flush();
  CHECK(store.written() == 3);

  const JournalEntry cut = find_one(store, "big");
  REQUIRE(cut.request != nullptr);
  CHECK(*cut.request == request.substr(0, 16));
  CHECK(cut.request_size == 100);
  CHECK(cut.request_truncated);
  CHECK(cut.reply == reply.substr(0, 16));
  CHECK(cut.reply_size == reply.size());
  CHECK(cut.reply_truncated);

  const JournalEntry whole = find_one(store, "at-limit");
  REQUIRE(whole.request != nullptr);
  CHECK(*whole.request == std::string(16, 'x'));
  CHECK(whole.request_size == 16);
  CHECK_FALSE(whole.request_truncated);
  CHECK(whole.reply_size == 16);
  CHECK_FALSE(whole.reply_truncated);

  const JournalEntry none = find_one(store, "nothing");
  CHECK(none.request == nullptr);
  CHECK(none.request_size == 0);
  CHECK_FALSE(none.request_truncated);

  const qiao::JournalStats stats = store.stats();
  CHECK(stats.truncated == 1);
  CHECK(stats.skipped_low_on_space == 0);
  CHECK(stats.skipped_backlog == 0);
  CHECK(stats.queued == 0);
  CHECK_FALSE(stats.low_on_space);
  // Neither an in-memory store nor a database server has a disk this process can measure.
  CHECK(stats.free_bytes.has_value() == backend.measures_free_space());
}

STORE_CASE("store: a rejected request keeps at most journal.max_rejected_bytes, others their whole body", "[store]") {
  qiao::JournalLimits limits;
  limits.max_rejected_bytes = 8;
  limits.min_free_bytes = 0;
  auto opened = backend.open(limits);
  Store& store = *opened;

  const std::string garbage = "{not json at all, and rather long";
  JournalEntry rejected = make_entry("rejected", "echo", "bad_input");
  rejected.status = 400;
  rejected.rejected = true;
  rejected.request = qiao::make_buffer(garbage);
  rejected.reply = "{\"error\":{\"code\":\"bad_input\"}}";
  JournalEntry accepted = make_entry("accepted");
  accepted.request = qiao::make_buffer(garbage);
  store.journal(rejected);
  store.journal(accepted);
  store.flush();

  const JournalEntry kept = find_one(store, "rejected");
  REQUIRE(kept.request != nullptr);
  CHECK(*kept.request == garbage.substr(0, 8));
  CHECK(kept.request_size == garbage.size());
  CHECK(kept.request_truncated);
  CHECK(kept.reply == rejected.reply);  // the gateway's own answer is short and kept whole
  CHECK_FALSE(kept.reply_truncated);

  const JournalEntry whole = find_one(store, "accepted");
  REQUIRE(whole.request != nullptr);
  CHECK(*whole.request == garbage);
  CHECK_FALSE(whole.request_truncated);
  CHECK(store.stats().truncated == 1);
}

TEST_CASE("store: below the free-space floor payloads are not stored, every entry's metadata still is", "[store]") {
  TempDir dir;
  qiao::JournalLimits limits;
  limits.min_free_bytes = std::numeric_limits<std::uint64_t>::max();  // above any real disk's free space
  auto opened = SqliteStore::open((dir.path() / "low.db").string(), SqliteStore::default_queue_capacity, limits);
  REQUIRE(opened.has_value());
  SqliteStore& store = **opened;
  // Measured at open, before any entry arrives.
  REQUIRE(store.stats().low_on_space);
  REQUIRE(store.stats().free_bytes.has_value());

  JournalEntry entry = make_entry("low-1");
  entry.reply = "{\"ok\":true}";
  const std::string request = *entry.request;
  store.journal(entry);
  JournalEntry nothing_received = make_entry("low-2");
  nothing_received.request = nullptr;
  nothing_received.reply.clear();
  store.journal(nothing_received);
  store.flush();
  CHECK(store.written() == 2);

  const JournalEntry kept = find_one(store, "low-1");
  CHECK(kept.status == 200);
  CHECK(kept.flow_id == "registration");
  REQUIRE(kept.request != nullptr);
  CHECK(kept.request->empty());
  CHECK(kept.request_size == request.size());
  CHECK(kept.request_truncated);
  CHECK(kept.reply.empty());
  CHECK(kept.reply_size == entry.reply.size());
  CHECK(kept.reply_truncated);
  CHECK(find_one(store, "low-2").request == nullptr);

  const qiao::JournalStats stats = store.stats();
  CHECK(stats.skipped_low_on_space == 1);  // the entry without payloads lost nothing
  CHECK(stats.truncated == 0);
}

TEST_CASE("store: above the free-space floor payloads are stored and the free space is shown", "[store]") {
  TempDir dir;
  qiao::JournalLimits limits;
  limits.min_free_bytes = 0;
  auto opened = SqliteStore::open((dir.path() / "roomy.db").string(), SqliteStore::default_queue_capacity, limits);
  REQUIRE(opened.has_value());
  SqliteStore& store = **opened;
  const qiao::JournalStats stats = store.stats();
  CHECK_FALSE(stats.low_on_space);
  REQUIRE(stats.free_bytes.has_value());
  CHECK(*stats.free_bytes > 0);
  store.journal(make_entry("roomy"));
  store.flush();
  CHECK_FALSE(find_one(store, "roomy").request_truncated);
}

TEST_CASE("store: a file of schema version 1 is brought forward and its payloads read as whole", "[store]") {
  TempDir dir;
  const fs::path file = dir.path() / "v1.db";
  {
    RawDb raw(file);
    raw.exec(R"sql(
CREATE TABLE journal (
  message_id  TEXT PRIMARY KEY NOT NULL, trace_id TEXT NOT NULL, flow_id TEXT NOT NULL,
  received_at INTEGER NOT NULL, latency_us INTEGER NOT NULL, outcome TEXT NOT NULL,
  status INTEGER NOT NULL, source TEXT NOT NULL, error TEXT NOT NULL, request BLOB, reply BLOB NOT NULL);
CREATE INDEX journal_flow_time ON journal (flow_id, received_at);
CREATE INDEX journal_time ON journal (received_at);
CREATE INDEX journal_outcome_time ON journal (outcome, received_at);
INSERT INTO journal VALUES ('old', 't', 'f', 1700000000123456, 5, 'ok', 200, 's', '', X'0102030405', 'reply');
PRAGMA user_version = 1;
)sql");
  }
  auto opened = SqliteStore::open(file.string());
  REQUIRE(opened.has_value());
  const JournalEntry old = find_one(**opened, "old");
  REQUIRE(old.request != nullptr);
  CHECK(old.request->size() == 5);
  CHECK(old.request_size == 5);
  CHECK_FALSE(old.request_truncated);
  CHECK(old.reply_size == 5);
  CHECK_FALSE(old.reply_truncated);
  CHECK(RawDb(file).text("PRAGMA user_version") == "6");
  // Its row moved to its day's file; the main file has no journal left.
  CHECK(RawDb(file).text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'journal%'") == "0");
  CHECK(fs::exists(dir.path() / "v1-journal" / "2023-11-14.db"));
}

LASTING_STORE_CASE(
    "store: while journal.max_queued_bytes of payloads wait for a slow disk, entries queue without theirs", "[store]") {
  qiao::JournalLimits limits;
  limits.min_free_bytes = 0;
  limits.max_queued_bytes = 100;
  auto opened = backend.open(limits);
  Store& store = *opened;

  // What is queued stays queued (or in the writer's waiting batch, which counts the same) until
  // the other connection lets go.
  backend.hold_writes();
  auto sized = [](std::string id) {
    JournalEntry e = make_entry(std::move(id));
    e.request = qiao::make_buffer(std::string(60, 'q'));
    e.reply.clear();
    return e;
  };
  store.journal(sized("first"));   // 60 bytes waiting
  store.journal(sized("second"));  // 60 more would make 120: queued without its payload
  backend.release_writes();
  store.flush();
  CHECK(store.written() == 2);

  const JournalEntry first = find_one(store, "first");
  REQUIRE(first.request != nullptr);
  CHECK(first.request->size() == 60);
  CHECK_FALSE(first.request_truncated);
  const JournalEntry second = find_one(store, "second");
  REQUIRE(second.request != nullptr);
  CHECK(second.request->empty());
  CHECK(second.request_size == 60);
  CHECK(second.request_truncated);
  CHECK(store.stats().skipped_backlog == 1);

  // Written, the bytes no longer count: the next entry keeps its payload.
  store.journal(sized("third"));
  store.flush();
  CHECK(find_one(store, "third").request->size() == 60);
  CHECK(store.stats().skipped_backlog == 1);
}
