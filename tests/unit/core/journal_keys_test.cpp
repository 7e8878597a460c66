// Business keys: a flow's journal: keys evaluated after it ran, stored in an index, searched by
// the store, /api/messages?key.NAME=VALUE, and through that index only.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <random>

#include "core/admin.hpp"
#include "core/runtime.hpp"
#include "tests/unit/core/journal_test_support.hpp"
#include "tests/unit/core/store_backends.hpp"

using namespace qiao;
using namespace std::chrono_literals;
using journal_test::flow;
using journal_test::Gateway;

namespace {

const std::chrono::system_clock::time_point t0{std::chrono::microseconds(1'700'000'000'000'000)};

JournalEntry entry(std::string id, std::chrono::system_clock::time_point at, std::vector<JournalKey> keys,
                   std::string flow_id = "registration") {
  JournalEntry e;
  e.message_id = std::move(id);
  e.trace_id = e.message_id;
  e.flow_id = std::move(flow_id);
  e.received_at = at;
  e.outcome = "ok";
  e.status = 200;
  e.request = make_buffer("{}");
  e.keys = std::move(keys);
  return e;
}

std::vector<std::string> ids(const Expected<std::vector<JournalEntry>>& found) {
  REQUIRE(found.has_value());
  std::vector<std::string> out;
  for (const auto& e : *found) out.push_back(e.message_id);
  return out;
}

JournalQuery by_keys(std::vector<JournalKey> keys) {
  JournalQuery q;
  q.keys = std::move(keys);
  return q;
}

const char* keyed_flow = R"(journal:
  level: full
  keys: { patient: 'body.patientId', order: 'body.orderNo', reg: 'vars.regNo' }
steps:
  - lua: 'vars.regNo = "R" .. (body.orderNo or "none")'
)";

}  // namespace

// On SQLite and PostgreSQL (store_backends.hpp).
STORE_CASE("journal keys: a search by key finds the rows with it, newest first, read back with their keys",
           "[journal][store]") {
  auto store = backend.open();
  store->journal(entry("a", t0, {{"patient", "P1"}, {"order", "O1"}}));
  store->journal(entry("b", t0 + 1s, {{"patient", "P2"}, {"order", "O2"}}));
  store->journal(entry("c", t0 + 2s, {{"patient", "P1"}, {"order", "O3"}}, "lab"));
  store->journal(entry("d", t0 + 3s, {}));
  store->flush();

  CHECK(ids(store->search(by_keys({{"patient", "P1"}}))) == std::vector<std::string>{"c", "a"});
  CHECK(ids(store->search(by_keys({{"order", "O2"}}))) == std::vector<std::string>{"b"});
  CHECK(ids(store->search(by_keys({{"patient", "P1"}, {"order", "O1"}}))) == std::vector<std::string>{"a"});
  CHECK(ids(store->search(by_keys({{"patient", "P2"}, {"order", "O1"}}))).empty());
  // A key name is part of the key: an order number is not a patient.
  CHECK(ids(store->search(by_keys({{"patient", "O1"}}))).empty());

  JournalQuery windowed = by_keys({{"patient", "P1"}});
  windowed.since = t0 + 1s;
  CHECK(ids(store->search(windowed)) == std::vector<std::string>{"c"});
  windowed.since.reset();
  windowed.until = t0 + 2s;
  CHECK(ids(store->search(windowed)) == std::vector<std::string>{"a"});
  JournalQuery of_flow = by_keys({{"patient", "P1"}});
  of_flow.flow_id = "registration";
  CHECK(ids(store->search(of_flow)) == std::vector<std::string>{"a"});
  JournalQuery one = by_keys({{"patient", "P1"}});
  one.limit = 1;
  CHECK(ids(store->search(one)) == std::vector<std::string>{"c"});

  JournalQuery by_id;
  by_id.message_id = "c";
  auto found = store->search(by_id);
  REQUIRE(found.has_value());
  REQUIRE(found->size() == 1);
  CHECK(found->front().keys == std::vector<JournalKey>{{"patient", "P1"}, {"order", "O3"}});
  by_id.message_id = "d";
  CHECK(store->search(by_id)->front().keys.empty());
}

// On SQLite and PostgreSQL (store_backends.hpp).
// The rewrite keeps the time of arrival, as the one qiao writes does (accept: stored journals the
// message again, with the received_at its queue row kept): a journal row is its message id at its
// received_at (PostgreSQL's partitions by day need the time in the row's key).
STORE_CASE("journal keys: a row rewritten under its id is found by its new keys, once", "[journal][store]") {
  auto store = backend.open();
  store->journal(entry("a", t0, {}, "accepted"));
  store->flush();
  store->journal(entry("a", t0, {{"patient", "P1"}, {"order", "O9"}}));
  store->flush();
  auto found = store->search(by_keys({{"patient", "P1"}}));
  CHECK(ids(found) == std::vector<std::string>{"a"});
  CHECK(found->front().received_at == t0);
  CHECK(found->front().flow_id == "registration");
  CHECK(ids(store->search(by_keys({{"order", "O9"}}))) == std::vector<std::string>{"a"});
  CHECK(ids(store->search(JournalQuery{})) == std::vector<std::string>{"a"});
}

TEST_CASE("journal keys: a search by key walks the key index and each row by its id, never a scan",
          "[journal][store]") {
  auto store = std::move(SqliteStore::open_memory()).value();
  store->journal(entry("a", t0, {{"patient", "P1"}}));  // a day to plan the search on
  store->flush();
  const auto one = store->query_plan(by_keys({{"patient", "P1"}}));
  REQUIRE(one.has_value());
  INFO(*one);
  CHECK_THAT(*one, Catch::Contains("SEARCH k USING PRIMARY KEY (name=? AND value=?)"));
  CHECK_THAT(*one, Catch::Contains("SEARCH j USING INDEX sqlite_autoindex_journal_1 (message_id=?)"));
  CHECK_THAT(*one, !Catch::Contains("SCAN"));
  CHECK_THAT(*one, !Catch::Contains("TEMP B-TREE"));  // the index gives the order: the limit stops the walk

  JournalQuery narrow = by_keys({{"patient", "P1"}, {"order", "O1"}});
  narrow.since = t0;
  narrow.until = t0 + 1h;
  narrow.flow_id = "registration";
  const auto two = store->query_plan(narrow);
  REQUIRE(two.has_value());
  INFO(*two);
  CHECK_THAT(*two,
             Catch::Contains("SEARCH k USING PRIMARY KEY (name=? AND value=? AND received_at>? AND received_at<?)"));
  CHECK_THAT(*two,
             Catch::Contains("SEARCH o USING PRIMARY KEY (name=? AND value=? AND received_at=? AND message_id=?)"));
  CHECK_THAT(*two, !Catch::Contains("SCAN"));

  // Without keys the time index serves, as before.
  const auto plain = store->query_plan(JournalQuery{});
  REQUIRE(plain.has_value());
  CHECK_THAT(*plain, Catch::Contains("journal_time"));
}

TEST_CASE("journal keys: evaluated once the flow ran, stored with the row, at level metadata too", "[journal]") {
  Gateway gw({{"reg", flow("reg", keyed_flow)},
              {"meta", flow("meta", "journal: { level: metadata, keys: { patient: body.patientId } }\n")}});
  INFO(gw.diag.text());
  REQUIRE(gw.gen);
  gw.run({{"reg", R"({"patientId":"P001","orderNo":"O-17"})"},
          {"reg", R"({"patientId":42})"},
          {"meta", R"({"patientId":"P001"})"}});

  CHECK(gw.row("reg-0")->keys == std::vector<JournalKey>{{"patient", "P001"}, {"order", "O-17"}, {"reg", "RO-17"}});
  // An integer is a key as its digits; a missing field is no key, and no error.
  CHECK(gw.row("reg-1")->keys == std::vector<JournalKey>{{"patient", "42"}, {"reg", "Rnone"}});
  const auto meta = gw.row("meta-2");
  CHECK(meta->request->empty());
  CHECK(meta->keys == std::vector<JournalKey>{{"patient", "P001"}});
  CHECK(ids(gw.store->search(by_keys({{"patient", "P001"}}))) == std::vector<std::string>{"meta-2", "reg-0"});
  CHECK(gw.metrics.flow("reg").journal_key_errors == 0);
}

TEST_CASE(
    "journal keys: a key whose expression fails or gives no key is left out and counted, the message is not failed",
    "[journal]") {
  Gateway gw({{"k", flow("k", R"(journal:
  keys:
    broken: 'body.patient.id'
    table: 'body'
    long: 'string.rep("x", 600)'
    fine: 'body.orderNo'
)")}});
  INFO(gw.diag.text());
  REQUIRE(gw.gen);
  const auto outcomes = gw.run({{"k", R"({"orderNo":"O1"})"}});
  CHECK_FALSE(outcomes[0].error);
  CHECK(outcomes[0].status == 200);
  const auto row = gw.row("k-0");
  REQUIRE(row);
  CHECK(row->outcome == "ok");
  CHECK(row->keys == std::vector<JournalKey>{{"fine", "O1"}});
  CHECK(gw.metrics.flow("k").journal_key_errors == 3);
  CHECK_THAT(gw.metrics.render(1), Catch::Contains("qiao_journal_key_errors_total{flow=\"k\"} 3"));
}

TEST_CASE("journal keys: a failed message has its keys, an undecodable one none", "[journal]") {
  Gateway gw(
      {{"k", flow("k", "journal: { keys: { order: body.orderNo } }\nsteps:\n  - check: { required: [amount] }\n")}});
  REQUIRE(gw.gen);
  gw.run({{"k", R"({"orderNo":"O5"})"}, {"k", "{not json"}});
  CHECK(gw.row("k-0")->outcome == "check_failed");
  CHECK(gw.row("k-0")->keys == std::vector<JournalKey>{{"order", "O5"}});
  CHECK(gw.row("k-1")->outcome == "bad_input");
  CHECK(gw.row("k-1")->keys.empty());
  CHECK(gw.metrics.flow("k").journal_key_errors == 0);
}

TEST_CASE("journal keys: mistakes in keys are errors at their file, line and column", "[journal][config]") {
  Gateway none({{"flow", flow("bad", "journal: { level: none, keys: { patient: body.patientId } }\n")}});
  CHECK_FALSE(none.gen);
  CHECK_THAT(none.diag.text(), Catch::Contains("flows/flow.yaml:5:31: journal: keys need a row to be found by"));

  Gateway names({{"flow", flow("bad", "journal:\n  keys:\n    'pa tient': body.a\n    ok: ''\n    x: 'body.('\n")}});
  CHECK_FALSE(names.gen);
  const std::string text = names.diag.text();
  INFO(text);
  CHECK_THAT(text,
             Catch::Contains("flows/flow.yaml:7:5: journal key 'pa tient' may use only letters, digits, '-' and '_'"));
  CHECK_THAT(text, Catch::Contains("flows/flow.yaml:8:9: journal key 'ok': expected a Lua expression"));
  CHECK_THAT(text, Catch::Contains("flows/flow.yaml:9:"));
}

TEST_CASE("journal keys: /api/messages?key.NAME=VALUE searches by keys and shows each row's keys", "[journal][admin]") {
  auto store = std::move(SqliteStore::open_memory()).value();
  store->journal(entry("a", t0, {{"patient", "P1"}, {"order", "O1"}}));
  store->journal(entry("b", t0 + 1s, {{"patient", "P1"}, {"order", "O2"}}));
  store->journal(entry("c", t0 + 2s, {{"patient", "P2"}}));
  store->flush();

  static const Plugins plugins;
  ServerConfig config;
  config.threads = 1;
  Runtime runtime(plugins, config, store.get());
  // One worker for every request, made before the API: the admin API's thread lets go of the
  // worker's executor only after the answer is posted, so a worker per request, or one destroyed
  // before the API joins that thread, could be gone before it does.
  boost::asio::io_context worker;
  AdminApi api(runtime, store.get(), "t0ken");
  api.listening_on("127.0.0.1:9900", false);
  auto get = [&](const std::string& target) {
    AdminRequest request;
    request.method = "GET";
    request.target = target;
    request.authorization = "Bearer t0ken";
    request.host = "127.0.0.1:9900";
    std::optional<AdminResponse> out;
    boost::asio::co_spawn(worker, api.handle(request),
                          [&](std::exception_ptr, AdminResponse r) { out = std::move(r); });
    // The search answers from the admin API's own thread; until it does, the worker may run out
    // of work and stop, so it is restarted to take the answer.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!out && std::chrono::steady_clock::now() < deadline) {
      if (worker.stopped()) worker.restart();
      worker.run_one_for(100ms);
    }
    REQUIRE(out);
    return *out;
  };

  const AdminResponse p1 = get("/api/messages?key.patient=P1");
  CHECK(p1.status == 200);
  CHECK_THAT(p1.body, Catch::Contains(R"("id":"b")"));
  CHECK_THAT(p1.body, Catch::Contains(R"("id":"a")"));
  CHECK_THAT(p1.body, !Catch::Contains(R"("id":"c")"));
  CHECK(p1.body.find(R"("id":"b")") < p1.body.find(R"("id":"a")"));
  CHECK_THAT(p1.body, Catch::Contains(R"("keys":{"patient":"P1","order":"O2"})"));

  const AdminResponse both = get("/api/messages?key.patient=P1&key.order=O1");
  CHECK_THAT(both.body, Catch::Contains(R"("id":"a")"));
  CHECK_THAT(both.body, !Catch::Contains(R"("id":"b")"));
  // Percent-encoded values are decoded before they are looked up.
  CHECK_THAT(get("/api/messages?key.order=%4F2").body, Catch::Contains(R"("id":"b")"));
  CHECK_THAT(get("/api/messages?id=c").body, Catch::Contains(R"("keys":{"patient":"P2"})"));
  CHECK(get("/api/messages?key.=P1").status == 400);
  CHECK(get("/api/messages?key.patient=").status == 400);
}
