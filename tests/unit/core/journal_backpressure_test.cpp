// Back-pressure: while the journal's writer cannot keep up, messages wait (their coroutines, not
// their worker) to be taken in; no entry is dropped and the waits are counted.

#include <sqlite3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <thread>

#include "tests/unit/core/journal_queue.hpp"
#include "tests/unit/core/journal_test_support.hpp"

using namespace qiao;
using namespace std::chrono_literals;
using journal_test::flow;
using journal_test::Gateway;
using journal_test::writer_took_queue;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

struct Dir {
  fs::path path = fs::temp_directory_path() / ("qiao-backpressure-" + std::to_string(std::random_device{}()));
  Dir() { fs::create_directories(path); }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A second connection to the store's file holding its write lock, as another process or a
// stalled disk would: the store's writer waits (within its busy timeout) until released.
struct Lock {
  sqlite3* db = nullptr;
  explicit Lock(const fs::path& file) {
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  void release() {
    if (db && sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  ~Lock() {
    release();
    sqlite3_close(db);
  }
};

// Runs on the messages' own worker: that it runs at all while they wait shows the thread is free.
// Once some message waits (or after 10 s, so that a gateway that never waits fails the checks
// rather than hanging), it lets the writer go.
asio::awaitable<void> release_once_waiting(const Metrics* metrics, Lock* lock, std::int64_t* seen_waiting) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int i = 0; i < 2000 && metrics->journal_waiting() == 0; ++i) {
    timer.expires_after(5ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  *seen_waiting = metrics->journal_waiting();
  lock->release();
}

asio::awaitable<void> release_once_done(const FlowStats* stats, std::uint64_t messages, Lock* lock) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int i = 0; i < 2000 && stats->total() < messages; ++i) {
    timer.expires_after(5ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  lock->release();
}

}  // namespace

TEST_CASE("journal back-pressure: with the writer stuck, messages wait to be taken in, none is dropped, waits counted",
          "[journal]") {
  Dir dir;
  const fs::path file = dir.path / "journal.db";
  constexpr std::size_t bound = 2;
  auto opened = SqliteStore::open(file.string(), bound);
  REQUIRE(opened.has_value());
  SqliteStore* store = opened->get();
  Lock lock(file);
  // Once the writer has taken these two it is stuck on the lock, and what follows stays queued.
  JournalEntry first;
  first.message_id = "first";
  first.flow_id = "-";
  store->journal(first);
  first.message_id = "first-2";
  store->journal(first);
  REQUIRE(writer_took_queue(*store));

  Gateway gw({{"f", flow("f")}}, JournalLevel::full, std::move(opened).value());
  REQUIRE(gw.gen);
  constexpr int messages = 10;
  std::vector<std::pair<std::string, std::string>> bodies;
  for (int i = 0; i < messages; ++i) bodies.emplace_back("f", R"({"orderNo":"O)" + std::to_string(i) + R"("})");
  std::int64_t seen_waiting = 0;
  const auto outcomes = gw.run(bodies, [&](asio::io_context& io) {
    asio::co_spawn(io, release_once_waiting(&gw.metrics, &lock, &seen_waiting), asio::detached);
  });

  // Two messages fill the queue to its bound; every later one waited until the writer took it.
  CHECK(seen_waiting == messages - static_cast<int>(bound));
  CHECK(gw.metrics.journal_waits() == messages - bound);
  CHECK(gw.metrics.journal_waiting() == 0);
  for (const Outcome& o : outcomes) CHECK_FALSE(o.error);
  CHECK(store->written() == messages + 2);
  CHECK(store->dropped() == 0);
  for (int i = 0; i < messages; ++i) CHECK(gw.row("f-" + std::to_string(i)));
  const std::string metrics = gw.metrics.render(1);
  CHECK_THAT(metrics, Catch::Contains("qiao_journal_admission_waits_total " + std::to_string(messages - bound)));
  CHECK_THAT(metrics, Catch::Contains("qiao_journal_admission_waiting 0"));
  CHECK_THAT(metrics, Catch::Contains("qiao_journal_admission_wait_seconds_total "));
}

TEST_CASE("journal back-pressure: a flow with journal: none never waits for the journal", "[journal]") {
  Dir dir;
  const fs::path file = dir.path / "journal.db";
  auto opened = SqliteStore::open(file.string(), 1);
  REQUIRE(opened.has_value());
  SqliteStore* store = opened->get();
  Lock lock(file);
  JournalEntry first;
  first.message_id = "first";
  first.flow_id = "-";
  store->journal(first);
  REQUIRE(writer_took_queue(*store));
  JournalEntry second = first;
  second.message_id = "second";
  store->journal(second);  // the queue is at its bound
  REQUIRE_FALSE(store->journal_has_room());

  Gateway gw({{"quiet", flow("quiet", "journal: none\n")}}, JournalLevel::full, std::move(opened).value());
  REQUIRE(gw.gen);
  // The lock is let go only once the messages are done (or after 10 s, should they wait).
  const auto outcomes = gw.run({{"quiet", "{}"}, {"quiet", "{}"}, {"quiet", "{}"}}, [&](asio::io_context& io) {
    asio::co_spawn(io, release_once_done(&gw.metrics.flow("quiet"), 3, &lock), asio::detached);
  });
  for (const Outcome& o : outcomes) CHECK_FALSE(o.error);
  CHECK(gw.metrics.journal_waits() == 0);
  CHECK(gw.metrics.flow("quiet").total() == 3);
  CHECK(store->written() == 2);
}
