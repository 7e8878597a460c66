// What only the PostgreSQL store has: a database shared by gateway nodes (claims decided between
// them, a schema made once when they start together), the schema version table, URLs and their
// errors, a connection lost and found again, and a database that does not take text as it comes.
// The cases it shares with SQLite are in store_test, store_deliveries_test and
// store_idempotency_test.

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/store/postgres_store.hpp"
#include "core/store/store.hpp"
#include "tests/unit/core/store_backends.hpp"

using namespace std::chrono_literals;
using namespace qiao;
using qiao_test::PostgresBackend;
using State = IdempotencyClaimResult::State;

using qiao_test::ids_found;

namespace {

const std::chrono::system_clock::time_point t0{std::chrono::microseconds(4'102'444'800'123'456)};

JournalEntry entry(std::string id) {
  JournalEntry e;
  e.message_id = std::move(id);
  e.trace_id = "trace";
  e.flow_id = "adt";
  e.received_at = t0;
  e.outcome = "ok";
  e.status = 200;
  e.request = make_buffer("body");
  return e;
}

Delivery delivery(std::string endpoint, std::string key = "") {
  Delivery d;
  d.endpoint = std::move(endpoint);
  d.order_key = std::move(key);
  d.message_id = "m";
  d.flow_id = "adt";
  d.request = "request";
  d.created_at = t0;
  d.next_attempt_at = t0;
  return d;
}

Expected<std::vector<Delivery>> enqueue(Store& store, std::vector<Delivery> deliveries) {
  std::promise<Expected<std::vector<Delivery>>> promise;
  auto future = promise.get_future();
  store.enqueue(std::move(deliveries),
                [&promise](Expected<std::vector<Delivery>> stored) { promise.set_value(std::move(stored)); });
  REQUIRE(future.wait_for(30s) == std::future_status::ready);
  return future.get();
}

// Ends every connection to the test's database but the test's own, as a server restart, a
// failover or an idle-connection reaper would.
void cut_connections(PostgresBackend& backend) {
  backend.raw().exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
}

}  // namespace

TEST_CASE("store postgres: a fresh database gets the schema and its version, once", "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    // Nodes starting together at a fresh database: the advisory lock lets one create the schema
    // and the others find it made.
    std::vector<std::thread> nodes;
    std::vector<std::string> errors(4);
    for (std::size_t i = 0; i < errors.size(); ++i)
      nodes.emplace_back([&, i] {
        auto opened = PostgresStore::open(backend.url());
        if (!opened) errors[i] = opened.error().message;
      });
    for (auto& n : nodes) n.join();
    for (const std::string& e : errors) CHECK(e.empty());

    CHECK(backend.sql_text("SELECT count(*) FROM qiao_schema") == "1");
    CHECK(backend.sql_text("SELECT version FROM qiao_schema") == std::to_string(PostgresStore::schema_version()));
    CHECK(PostgresStore::schema_version() == 8);
    // The queue owners' step (postgres_queue_owners.cpp).
    CHECK(backend.sql_text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN "
                           "('queue_nodes', 'queue_keys')") == "2");
    CHECK(backend.sql_text("SELECT count(*) FROM information_schema.columns WHERE table_name = 'deliveries' AND "
                           "column_name = 'node'") == "1");
    CHECK(backend.sql_text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN "
                           "('journal', 'deliveries', 'delivery_attempts', 'idempotency_keys', 'journal_keys')") ==
          "5");
    // The SQLite schema's indexes, and the primary keys.
    CHECK(backend.sql_text("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname IN "
                           "('journal_flow_time', 'journal_time', 'journal_outcome_time', "
                           "'deliveries_state_endpoint', 'idempotency_keys_expiry')") == "5");
    CHECK(backend.sql_text("SELECT data_type FROM information_schema.columns WHERE table_name = 'journal' AND "
                           "column_name = 'request'") == "bytea");
    CHECK(backend.sql_text("SELECT data_type FROM information_schema.columns WHERE table_name = 'journal' AND "
                           "column_name = 'received_at'") == "bigint");
  });
}

TEST_CASE("store postgres: a database of a newer or unknown schema is refused", "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    { auto store = backend.open(); }
    backend.sql_exec("UPDATE qiao_schema SET version = 99");
    auto newer = PostgresStore::open(backend.url());
    REQUIRE_FALSE(newer.has_value());
    CHECK(newer.error().kind == ErrorKind::config);
    CHECK(newer.error().message ==
          "store: database '" + backend.url() + "' has schema version 99, newer than this build understands (" +
              std::to_string(PostgresStore::schema_version()) + "); use a newer qiao or another database");

    backend.sql_exec("UPDATE qiao_schema SET version = -1");
    auto odd = PostgresStore::open(backend.url());
    REQUIRE_FALSE(odd.has_value());
    CHECK_THAT(odd.error().message, Catch::Contains("has schema version -1, which no qiao writes"));

    const std::string current = std::to_string(PostgresStore::schema_version());
    backend.sql_exec("UPDATE qiao_schema SET version = " + current);
    backend.sql_exec("INSERT INTO qiao_schema VALUES (" + current + ")");
    auto doubled = PostgresStore::open(backend.url());
    REQUIRE_FALSE(doubled.has_value());
    CHECK_THAT(doubled.error().message, Catch::Contains("has 2 rows in qiao_schema"));
  });
}

TEST_CASE("store postgres: store.url takes postgres:// and postgresql://, and says why one does not work",
          "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    const std::string url = backend.url();
    REQUIRE(url.starts_with("postgresql://"));
    for (const std::string& spelled : {url, "postgres://" + url.substr(std::string("postgresql://").size())}) {
      INFO(spelled);
      auto store = open_store(spelled, "/nonexistent-base");
      INFO((store ? std::string() : store.error().message));
      REQUIRE(store.has_value());
      (*store)->journal(entry("via-url"));
      (*store)->flush();
      CHECK((*store)->written() == 1);
    }

    // Nobody listens on port 1; the password never shows in the error.
    auto refused = open_store("postgresql://qiao:s3cret@127.0.0.1:1/qiao?connect_timeout=5", "");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::config);
    CHECK_THAT(refused.error().message,
               Catch::StartsWith("store: cannot connect to "
                                 "'postgresql://qiao:***@127.0.0.1:1/qiao?connect_timeout=5': "));
    CHECK_THAT(refused.error().message, Catch::Contains("Connection refused"));
    CHECK_THAT(refused.error().message, !Catch::Contains("s3cret"));

    auto query_password = open_store("postgres://qiao@127.0.0.1:1/qiao?password=s3cret&connect_timeout=5", "");
    REQUIRE_FALSE(query_password.has_value());
    CHECK_THAT(query_password.error().message, Catch::Contains("password=***"));
    CHECK_THAT(query_password.error().message, !Catch::Contains("s3cret"));

    // A password libpq cannot parse is quoted in its reason: left out there too.
    auto unparsed = open_store("postgresql://qiao:bad%zzpass@127.0.0.1:1/qiao", "");
    REQUIRE_FALSE(unparsed.has_value());
    CHECK(unparsed.error().kind == ErrorKind::config);
    CHECK_THAT(unparsed.error().message, Catch::Contains("percent"));
    CHECK_THAT(unparsed.error().message, !Catch::Contains("zzpass"));

    auto bad = open_store("postgresql://host:notaport/qiao", "");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().kind == ErrorKind::config);
    CHECK_THAT(bad.error().message, Catch::Contains("invalid"));
    CHECK_THAT(bad.error().message, Catch::Contains("notaport"));

    auto missing = open_store(backend.server() + "/qiao_no_such_database", "");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().kind == ErrorKind::config);
    CHECK_THAT(missing.error().message, Catch::Contains("database \"qiao_no_such_database\" does not exist"));
  });
}

TEST_CASE("store postgres: two nodes claiming the same keys at once: one holds each key, the other waits for it",
          "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    auto node_a = backend.open();
    auto node_b = backend.open();
    constexpr int keys = 40;
    using Future = std::future<Expected<IdempotencyClaimResult>>;
    std::vector<Future> a_claims, b_claims;
    auto claim_on = [](Store& store, int key, const std::string& message) {
      IdempotencyClaim c;
      c.flow_id = "payment";
      c.key = "order-" + std::to_string(key);
      c.message_id = message;
      c.now = t0;
      c.expires_at = t0 + 1h;
      c.lease = 30s;
      auto promise = std::make_shared<std::promise<Expected<IdempotencyClaimResult>>>();
      Future f = promise->get_future();
      store.claim(std::move(c), [promise](Expected<IdempotencyClaimResult> r) { promise->set_value(std::move(r)); });
      return f;
    };
    // Each node's claims go in batches of its own, at the same time as the other node's.
    std::thread a([&] {
      for (int k = 0; k < keys; ++k) a_claims.push_back(claim_on(*node_a, k, "a-" + std::to_string(k)));
    });
    std::thread b([&] {
      for (int k = keys - 1; k >= 0; --k) b_claims.push_back(claim_on(*node_b, k, "b-" + std::to_string(k)));
    });
    a.join();
    b.join();
    int a_won = 0, b_won = 0;
    for (int k = 0; k < keys; ++k) {
      INFO("key " << k);
      Future& fa = a_claims[static_cast<std::size_t>(k)];
      Future& fb = b_claims[static_cast<std::size_t>(keys - 1 - k)];
      REQUIRE(fa.wait_for(30s) == std::future_status::ready);
      REQUIRE(fb.wait_for(30s) == std::future_status::ready);
      auto ra = fa.get();
      auto rb = fb.get();
      // Two nodes taking keys in opposite orders may deadlock on the server, which then fails
      // one batch; a failed claim is an error for its caller, never a second holder.
      if (!ra || !rb) {
        CHECK((ra.has_value() || rb.has_value()));
        continue;
      }
      const bool a_holds = ra->state == State::claimed;
      const bool b_holds = rb->state == State::claimed;
      CHECK(a_holds != b_holds);
      if (a_holds) {
        ++a_won;
        CHECK(rb->state == State::pending);
        CHECK(rb->holder == "a-" + std::to_string(k));
      } else {
        ++b_won;
        CHECK(ra->state == State::pending);
        CHECK(ra->holder == "b-" + std::to_string(k));
      }
    }
    CHECK(backend.sql_text("SELECT count(*) FROM idempotency_keys") == std::to_string(keys));
    CHECK(backend.sql_text("SELECT count(DISTINCT key) FROM idempotency_keys") == std::to_string(keys));
    CHECK(a_won + b_won <= keys);
  });
}

TEST_CASE("store postgres: deliveries of two nodes get ids of their own, increasing on each", "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    auto node_a = backend.open();
    auto node_b = backend.open();
    std::vector<std::int64_t> a_ids, b_ids;
    std::thread a([&] {
      for (int i = 0; i < 30; ++i) {
        auto stored = enqueue(*node_a, {delivery("his"), delivery("his")});
        if (stored)
          for (const Delivery& d : *stored) a_ids.push_back(d.id);
      }
    });
    for (int i = 0; i < 30; ++i) {
      auto stored = enqueue(*node_b, {delivery("lab")});
      REQUIRE(stored.has_value());
      b_ids.push_back(stored->front().id);
    }
    a.join();
    REQUIRE(a_ids.size() == 60);
    CHECK(std::is_sorted(a_ids.begin(), a_ids.end()));
    CHECK(std::adjacent_find(a_ids.begin(), a_ids.end()) == a_ids.end());
    CHECK(std::is_sorted(b_ids.begin(), b_ids.end()));
    std::vector<std::int64_t> all = a_ids;
    all.insert(all.end(), b_ids.begin(), b_ids.end());
    std::sort(all.begin(), all.end());
    CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
    CHECK(backend.sql_text("SELECT count(DISTINCT id) FROM deliveries") == "90");
  });
}

TEST_CASE("store postgres: a connection the server ended is replaced before the next write and read",
          "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    auto store = backend.open();
    REQUIRE(enqueue(*store, {delivery("his")}).has_value());
    REQUIRE(store->deliveries(DeliveryQuery{}).has_value());

    cut_connections(backend);
    // Nothing was under way: the writer finds its connection gone when it begins, and the batch
    // goes on a new one; the reader likewise.
    auto stored = enqueue(*store, {delivery("his")});
    INFO((stored ? std::string() : stored.error().message));
    REQUIRE(stored.has_value());
    auto rows = store->deliveries(DeliveryQuery{});
    INFO((rows ? std::string() : rows.error().message));
    REQUIRE(rows.has_value());
    CHECK(rows->size() == 2);
    store->journal(entry("after"));
    store->flush();
    CHECK(store->written() == 1);
    CHECK(store->dropped() == 0);
  });
}

TEST_CASE("store postgres: while the server refuses connections writes fail, none silently, and resume after",
          "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    auto opened = backend.open();
    PostgresStore& store = dynamic_cast<PostgresStore&>(*opened);
    // From another database: a session cannot close its own database to connections.
    qiao_test::RawPg admin(backend.server() + "/postgres");
    admin.exec("ALTER DATABASE " + backend.database() + " ALLOW_CONNECTIONS false");
    cut_connections(backend);

    auto failed = enqueue(store, {delivery("his")});
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().kind == ErrorKind::unavailable);
    CHECK_THAT(failed.error().message, Catch::Contains("store: cannot reach '" + backend.url() + "'"));
    CHECK_THAT(failed.error().message, Catch::Contains("is not currently accepting connections"));
    store.journal(entry("lost"));
    store.flush();
    CHECK(store.written() == 0);
    CHECK(store.stats().dropped_write_failed == 1);
    CHECK(store.stats().failed_writes >= 1);
    CHECK_THAT(store.last_write_error(), Catch::Contains("cannot reach"));
    auto read = store.deliveries(DeliveryQuery{});
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().kind == ErrorKind::unavailable);

    admin.exec("ALTER DATABASE " + backend.database() + " ALLOW_CONNECTIONS true");
    // The writer tries again after a backoff that doubles up to 5 s: within that, writes work.
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    Expected<std::vector<Delivery>> stored = Error{ErrorKind::unavailable, "not tried"};
    while (std::chrono::steady_clock::now() < deadline) {
      stored = enqueue(store, {delivery("his")});
      if (stored) break;
      std::this_thread::sleep_for(100ms);
    }
    INFO((stored ? std::string() : stored.error().message));
    REQUIRE(stored.has_value());
    store.journal(entry("back"));
    store.flush();
    CHECK(store.written() == 1);
    JournalQuery q;
    q.message_id = "back";
    auto found = store.search(q);
    REQUIRE(found.has_value());
    CHECK(found->size() == 1);
    // What failed is not there: a no was a no.
    CHECK(backend.sql_text("SELECT count(*) FROM deliveries") == "1");
    CHECK(backend.sql_text("SELECT count(*) FROM journal WHERE message_id = 'lost'") == "0");
  });
}

TEST_CASE("store postgres: free text that is not UTF-8 is stored readable, bytes exactly", "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    auto store = backend.open();
    JournalEntry e = entry("m-text");
    // 0xB8 0xB6 is GBK's 付, and no UTF-8.
    e.error = std::string("bad \xff byte, NUL \0 and GBK \xb8\xb6", 28);
    e.source = "tcp 10.0.0.7:40112 \xc3";
    const std::string request("\xd6\xa7\xb8\xb6\0\xff", 6);
    e.request = make_buffer(request);
    store->journal(e);
    store->flush();
    CHECK(store->dropped() == 0);
    JournalQuery q;
    q.message_id = "m-text";
    auto found = store->search(q);
    REQUIRE(found.has_value());
    REQUIRE(found->size() == 1);
    const JournalEntry& got = found->front();
    CHECK(got.error == "bad \xEF\xBF\xBD byte, NUL \xEF\xBF\xBD and GBK \xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(got.source == "tcp 10.0.0.7:40112 \xEF\xBF\xBD");
    REQUIRE(got.request != nullptr);
    CHECK(*got.request == request);

    Delivery d = delivery("his", std::string("\xd6\xd0\xff", 3));
    d.request = request;
    auto stored = enqueue(*store, {d});
    REQUIRE(stored.has_value());
    DeliveryQuery dq;
    dq.with_requests = true;
    auto rows = store->deliveries(dq);
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 1);
    CHECK((*rows)[0].order_key == d.order_key);  // a key is matched byte for byte
    CHECK((*rows)[0].request == request);
  });
}

TEST_CASE("store postgres: no free-space floor applies, since the disk is the server's", "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    JournalLimits limits;
    limits.min_free_bytes = std::numeric_limits<std::uint64_t>::max();  // a floor no disk is above
    auto store = backend.open(limits);
    store->journal(entry("kept"));
    store->flush();
    const JournalStats stats = store->stats();
    CHECK_FALSE(stats.low_on_space);
    CHECK_FALSE(stats.free_bytes.has_value());
    CHECK(stats.skipped_low_on_space == 0);
    CHECK(stats.commits >= 1);
    JournalQuery q;
    q.message_id = "kept";
    auto found = store->search(q);
    REQUIRE(found.has_value());
    REQUIRE(found->size() == 1);
    REQUIRE(found->front().request != nullptr);
    CHECK(*found->front().request == "body");
    CHECK_FALSE(found->front().request_truncated);
  });
}

TEST_CASE("store postgres: a lock held past 5 s fails the batch instead of stalling the writer", "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    auto opened = backend.open();
    PostgresStore& store = dynamic_cast<PostgresStore&>(*opened);
    backend.hold_writes();
    const auto start = std::chrono::steady_clock::now();
    store.journal(entry("waits"));
    store.flush();
    CHECK(std::chrono::steady_clock::now() - start >= 5s);
    CHECK(store.written() == 0);
    CHECK(store.stats().dropped_write_failed == 1);
    CHECK_THAT(store.last_write_error(), Catch::Contains("lock timeout"));
    backend.release_writes();
    store.journal(entry("after"));
    store.flush();
    CHECK(store.written() == 1);
  });
}

namespace {

using Days = std::chrono::days;

JournalEntry entry_at(std::string id, std::chrono::system_clock::time_point at, std::vector<JournalKey> keys = {}) {
  JournalEntry e = entry(std::move(id));
  e.received_at = at;
  e.keys = std::move(keys);
  return e;
}

// The line of an EXPLAIN that reads `table`, the first one.
std::string plan_line(const std::string& plan, const std::string& table) {
  std::istringstream lines(plan);
  for (std::string line; std::getline(lines, line);)
    if (line.find(" on " + table + " ") != std::string::npos) return line;
  return {};
}

std::chrono::system_clock::time_point midnight_today() {
  return std::chrono::floor<Days>(std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

}  // namespace

TEST_CASE("store postgres: a search reads only the days of its window, and each key hit only its own day",
          "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    auto opened = backend.open();
    PostgresStore& store = dynamic_cast<PostgresStore&>(*opened);
    const auto first = std::chrono::floor<Days>(t0);  // 2100-01-01, 2100-01-02, 2100-01-03
    // Enough rows that the planner walks indexes, as it does on a real journal, not whole tables.
    for (int d = 0; d < 3; ++d)
      for (int i = 0; i < 2000; ++i)
        store.journal(entry_at("m-" + std::to_string(d) + "-" + std::to_string(i),
                               first + Days(d) + std::chrono::seconds(i * 30),
                               {{"patient", "P" + std::to_string(i % 500)}}));
    store.flush();
    REQUIRE(store.dropped() == 0);
    backend.sql_exec("ANALYZE journal");
    backend.sql_exec("ANALYZE journal_keys");

    JournalQuery window;
    window.since = first + Days(1) + 1h;
    window.until = first + Days(1) + 2h;
    auto plan = store.query_plan(window);
    REQUIRE(plan.has_value());
    INFO(*plan);
    CHECK_THAT(*plan, Catch::Contains("journal_21000102"));
    CHECK_THAT(*plan, !Catch::Contains("journal_21000101") && !Catch::Contains("journal_21000103"));
    CHECK_THAT(*plan, Catch::Contains("journal_21000102_received_at_seq_idx"));
    window.limit = 1000;
    CHECK(ids_found(store, window).size() == 120);

    // Newest first without a window: the days in order, the newest alone read before LIMIT stops.
    JournalQuery newest;
    newest.limit = 10;
    auto walk = store.query_plan(newest, true);
    REQUIRE(walk.has_value());
    INFO(*walk);
    CHECK_THAT(plan_line(*walk, "journal_21000103"), !Catch::Contains("never executed"));
    CHECK_THAT(plan_line(*walk, "journal_21000102"), Catch::Contains("never executed"));
    CHECK_THAT(plan_line(*walk, "journal_21000101"), Catch::Contains("never executed"));

    // By key in a window: that day's key partition only; each hit joins its row in its own day.
    JournalQuery by_key;
    by_key.keys = {{"patient", "P7"}};
    by_key.since = first + Days(1);
    by_key.until = first + Days(1) + 6h;
    auto keyed = store.query_plan(by_key, true);
    REQUIRE(keyed.has_value());
    INFO(*keyed);
    CHECK_THAT(*keyed, Catch::Contains("journal_keys_21000102"));
    CHECK_THAT(*keyed, !Catch::Contains("journal_keys_21000101") && !Catch::Contains("journal_keys_21000103"));
    CHECK_THAT(plan_line(*keyed, "journal_21000101"), Catch::Contains("never executed") || Catch::Equals(""));
    CHECK_THAT(plan_line(*keyed, "journal_21000103"), Catch::Contains("never executed") || Catch::Equals(""));
    CHECK(ids_found(store, by_key) == std::vector<std::string>{"m-1-507", "m-1-7"});
  });
}

TEST_CASE("store postgres: a database of schema version 5 has its rows moved into days, keys and order kept",
          "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    REQUIRE(PostgresStore::create_schema(backend.url(), 5).has_value());
    const std::int64_t first = 1'699'920'000'000'000;  // 2023-11-14 00:00 UTC
    const std::int64_t second = first + 86'400'000'000 + 3'600'000'000;
    // A row, then two of the same microsecond a day later (the second written later), one with a key.
    backend.sql_exec(
        "INSERT INTO journal (message_id, trace_id, flow_id, received_at, latency_us, outcome, status, source, "
        "error, request, reply, request_size, reply_size, request_truncated, reply_truncated, business_keys) VALUES "
        "('old-1', 't1', 'adt', " +
        std::to_string(first + 1) +
        ", 5, 'ok', 200, 's', '', '\\x0102', 'r', 2, 1, "
        "false, false, NULL), "
        "('old-2', 't2', 'adt', " +
        std::to_string(second) +
        ", 5, 'ok', 200, 's', '', 'b', 'r', 1, 1, false, false, "
        "'\\x70617469656e740050310000'::bytea), "
        "('old-3', 't3', 'adt', " +
        std::to_string(second) +
        ", 5, 'ok', 200, 's', '', 'b', 'r', 1, 1, false, "
        "false, NULL)");
    backend.sql_exec("INSERT INTO journal_keys VALUES ('patient', 'P1', " + std::to_string(second) + ", 'old-2')");

    auto store = backend.open();
    CHECK(backend.sql_text("SELECT version FROM qiao_schema") == std::to_string(PostgresStore::schema_version()));
    CHECK(backend.journal_days() == std::vector<std::string>{"2023-11-14", "2023-11-15"});
    CHECK(backend.sql_text("SELECT count(*) FROM pg_class WHERE relname IN ('journal_keys_20231114', "
                           "'journal_keys_20231115', 'journal_v5', 'journal_keys_v5')") == "2");
    CHECK(backend.sql_text("SELECT relkind FROM pg_class WHERE relname = 'journal'") == "p");
    CHECK(store->stats().segments == 2);
    CHECK(ids_found(*store, {}) == std::vector<std::string>{"old-3", "old-2", "old-1"});
    JournalQuery by_key;
    by_key.keys = {{"patient", "P1"}};
    auto keyed = store->search(by_key);
    REQUIRE(keyed.has_value());
    REQUIRE(keyed->size() == 1);
    CHECK(keyed->front().message_id == "old-2");
    CHECK(keyed->front().keys == std::vector<JournalKey>{{"patient", "P1"}});
    JournalQuery by_id;
    by_id.message_id = "old-1";
    auto old = store->search(by_id);
    REQUIRE(old.has_value());
    REQUIRE(old->size() == 1);
    REQUIRE(old->front().request != nullptr);
    CHECK(*old->front().request == "\x01\x02");

    // The identity goes on after the moved rows: a new entry of the same microsecond is the newest.
    store->journal(entry_at("new", std::chrono::system_clock::time_point{std::chrono::microseconds(second)}));
    store->flush();
    CHECK(store->dropped() == 0);
    CHECK(ids_found(*store, {}) == std::vector<std::string>{"new", "old-3", "old-2", "old-1"});
  });
}

TEST_CASE("store postgres: two nodes making the same new day at once both write their batches", "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    auto node_a = backend.open();
    auto node_b = backend.open();
    // The test holds the lock the writers make days under, until both wait for it: then they go
    // at the same moment, one makes the day and the other finds it made.
    qiao_test::RawPg holder(backend.url());
    holder.exec("SELECT pg_advisory_lock(1902731620)");
    const auto new_day = std::chrono::floor<Days>(t0) + Days(40);
    node_a->journal(entry_at("from-a", new_day + 1h));
    node_b->journal(entry_at("from-b", new_day + 2h));
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string waiting;
    while (std::chrono::steady_clock::now() < deadline) {
      waiting = backend.sql_text(
          "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 1902731620 AND NOT granted");
      if (waiting == "2") break;
      std::this_thread::sleep_for(10ms);
    }
    REQUIRE(waiting == "2");
    holder.exec("SELECT pg_advisory_unlock(1902731620)");
    node_a->flush();
    node_b->flush();
    CHECK(node_a->written() == 1);
    CHECK(node_b->written() == 1);
    CHECK(node_a->dropped() + node_b->dropped() == 0);
    CHECK(backend.sql_text("SELECT count(*) FROM pg_class WHERE relname IN ('journal_21000210', "
                           "'journal_keys_21000210')") == "2");
    JournalQuery that_day;
    that_day.since = new_day;
    that_day.until = new_day + Days(1);
    CHECK(ids_found(*node_a, that_day) == std::vector<std::string>{"from-b", "from-a"});
  });
}

TEST_CASE("store postgres: a day another node dropped is made again for a late row, which is written",
          "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    JournalLimits limits;
    limits.max_age = 24h;
    auto pruner = backend.open(limits);
    auto writer = backend.open();
    const auto old_day = midnight_today() - Days(2);
    writer->journal(entry_at("old", old_day + 1h));
    writer->flush();
    REQUIRE(writer->written() == 1);

    auto dropped = pruner->enforce_retention();
    INFO((dropped ? std::string() : dropped.error().message));
    REQUIRE(dropped.has_value());
    REQUIRE(dropped->size() == 1);
    // The writer still thinks the day is there: its insert fails, it makes the day again and the
    // batch goes in on the second try, nothing dropped.
    writer->journal(entry_at("late", old_day + 2h, {{"patient", "P9"}}));
    writer->flush();
    CHECK(writer->written() == 2);
    CHECK(writer->dropped() == 0);
    JournalQuery late;
    late.keys = {{"patient", "P9"}};
    CHECK(ids_found(*writer, late) == std::vector<std::string>{"late"});
  });
}

TEST_CASE("store postgres: two nodes pruning at once both succeed, and the day's space is back at once",
          "[store][postgres]") {
  qiao_test::with_postgres([](PostgresBackend& backend) {
    JournalLimits limits;
    limits.max_age = 24h;
    auto node_a = backend.open(limits);
    auto node_b = backend.open(limits);
    const auto old_day = midnight_today() - Days(3);
    // Bytes that do not compress, so the day's partition holds about what it was given.
    std::mt19937 random(7);
    for (int i = 0; i < 8; ++i) {
      std::string payload(256 * 1024, '\0');
      for (char& c : payload) c = static_cast<char>(random());
      JournalEntry e = entry_at("big-" + std::to_string(i), old_day + std::chrono::minutes(i), {{"patient", "P1"}});
      e.request = make_buffer(std::move(payload));
      node_a->journal(std::move(e));
    }
    node_a->flush();
    REQUIRE(node_a->written() == 8);
    const auto name = qiao::journal_day_name(qiao::journal_day_of(old_day));
    const std::int64_t before = std::stoll(backend.sql_text("SELECT pg_database_size(current_database())"));

    Expected<std::vector<std::string>> by_a = std::vector<std::string>{};
    Expected<std::vector<std::string>> by_b = std::vector<std::string>{};
    std::thread a([&] { by_a = node_a->enforce_retention(); });
    std::thread b([&] { by_b = node_b->enforce_retention(); });
    a.join();
    b.join();
    INFO((by_a ? std::string() : by_a.error().message) << (by_b ? std::string() : by_b.error().message));
    REQUIRE(by_a.has_value());
    REQUIRE(by_b.has_value());
    CHECK((*by_a == std::vector<std::string>{name} || *by_b == std::vector<std::string>{name}));
    const std::vector<std::string> days = backend.journal_days();
    CHECK(std::find(days.begin(), days.end(), name) == days.end());
    CHECK(backend.sql_text("SELECT count(*) FROM pg_class WHERE relname LIKE 'journal%' AND relname LIKE '%" +
                           name.substr(0, 4) + name.substr(5, 2) + name.substr(8, 2) + "'") == "0");
    // DROP TABLE leaves no dead rows for a VACUUM: the files are emptied at the commit.
    const std::int64_t after = std::stoll(backend.sql_text("SELECT pg_database_size(current_database())"));
    CHECK(before - after >= 2 * 1024 * 1024);
    JournalQuery by_key;
    by_key.keys = {{"patient", "P1"}};
    CHECK(ids_found(*node_b, by_key).empty());
  });
}
