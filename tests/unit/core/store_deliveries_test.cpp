// The persistent queues in the store: what enqueue and change() write, what deliveries() reads
// back with each filter, and what is still there after the store was closed, or killed with an
// attempt under way. Each test runs on SQLite (in memory and in a file, or in a file only when
// the database has to outlive the store) and on PostgreSQL (store_backends.hpp).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/store/sqlite_store.hpp"
#include "core/store/store.hpp"
#include "tests/unit/core/store_backends.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace qiao;
using Clock = std::chrono::system_clock;
using Kind = DeliveryChange::Kind;

namespace {

// The store keeps microseconds, so test times are whole microseconds.
const Clock::time_point t0{std::chrono::microseconds(1'700'000'000'123'456)};

Delivery make(std::string endpoint, std::string key = "", Clock::time_point created = t0) {
  Delivery d;
  d.endpoint = std::move(endpoint);
  d.order_key = std::move(key);
  d.message_id = "msg-" + d.endpoint + "-" + d.order_key;
  d.flow_id = "adt";
  d.request = std::string("\x01\x00request\x00\xff", 11);
  d.retry.attempts = 4;
  d.retry.backoff = 250ms;
  d.retry.max_backoff = 60s;
  d.retry.jitter = false;
  d.created_at = created;
  d.next_attempt_at = created;
  return d;
}

Expected<std::vector<Delivery>> enqueue(Store& store, std::vector<Delivery> deliveries) {
  std::promise<Expected<std::vector<Delivery>>> promise;
  auto future = promise.get_future();
  store.enqueue(std::move(deliveries),
                [&promise](Expected<std::vector<Delivery>> stored) { promise.set_value(std::move(stored)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  return future.get();
}

std::vector<std::int64_t> enqueue_ids(Store& store, std::vector<Delivery> deliveries) {
  auto stored = enqueue(store, std::move(deliveries));
  REQUIRE(stored.has_value());
  std::vector<std::int64_t> ids;
  for (const Delivery& d : *stored) ids.push_back(d.id);
  return ids;
}

Status change(Store& store, std::vector<DeliveryChange> changes) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  store.change(std::move(changes), [&promise](Status status) { promise.set_value(std::move(status)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  return future.get();
}

void apply_changes(Store& store, std::vector<DeliveryChange> changes) {
  Status status = change(store, std::move(changes));
  INFO((status ? std::string() : status.error().message));
  REQUIRE(status.has_value());
}

DeliveryChange started(std::int64_t id, int attempt, int total, Clock::time_point at) {
  DeliveryChange c;
  c.kind = Kind::started;
  c.id = id;
  c.attempt = attempt;
  c.total_attempt = total;
  c.at = at;
  return c;
}

DeliveryChange finished(Kind kind, std::int64_t id, int total, Clock::time_point at, std::string outcome,
                        std::string error, Clock::time_point next = {}) {
  DeliveryChange c;
  c.kind = kind;
  c.id = id;
  c.total_attempt = total;
  c.at = at;
  c.outcome = std::move(outcome);
  c.error = std::move(error);
  c.next_attempt_at = next;
  return c;
}

DeliveryChange simple(Kind kind, std::int64_t id, Clock::time_point at, Clock::time_point next = {},
                      std::string error = {}) {
  DeliveryChange c;
  c.kind = kind;
  c.id = id;
  c.at = at;
  c.next_attempt_at = next;
  c.error = std::move(error);
  return c;
}

std::vector<Delivery> query(const Store& store, DeliveryQuery q) {
  auto found = store.deliveries(q);
  INFO((found ? std::string() : found.error().message));
  REQUIRE(found.has_value());
  return std::move(found).value();
}

std::vector<std::int64_t> ids_of(const std::vector<Delivery>& rows) {
  std::vector<std::int64_t> ids;
  for (const Delivery& d : rows) ids.push_back(d.id);
  return ids;
}

Delivery one(const Store& store, std::int64_t id, bool with_history = true, bool with_requests = false) {
  DeliveryQuery q;
  q.ids = {id};
  q.with_history = with_history;
  q.with_requests = with_requests;
  auto rows = query(store, q);
  REQUIRE(rows.size() == 1);
  return rows[0];
}

bool gone(const Store& store, std::int64_t id) {
  DeliveryQuery q;
  q.ids = {id};
  return query(store, q).empty();
}

using Ids = std::vector<std::int64_t>;

}  // namespace

STORE_CASE("store deliveries: enqueue hands back increasing ids and stores every field", "[store][deliveries]") {
  auto store = backend.open();

  Delivery full = make("his", "P1");
  full.message_id = "m-42";
  full.flow_id = "registration";
  full.retry = RetryPolicy{7, 1500ms, 90s, true};
  full.next_attempt_at = t0 + 5s;
  auto stored = enqueue(*store, {full, make("lab", "P2", t0 + 1ms), make("his", "", t0 + 2ms)});
  REQUIRE(stored.has_value());
  REQUIRE(stored->size() == 3);
  const Ids first = ids_of(*stored);
  CHECK(first[0] > 0);
  CHECK(first[0] < first[1]);
  CHECK(first[1] < first[2]);
  // What comes back is what went in, with its id.
  CHECK((*stored)[0].endpoint == "his");
  CHECK((*stored)[1].endpoint == "lab");
  CHECK((*stored)[0].request == full.request);

  const Ids second = enqueue_ids(*store, {make("his", "P3"), make("his", "P4")});
  REQUIRE(second.size() == 2);
  CHECK(second[0] > first[2]);
  CHECK(second[1] > second[0]);
  // An empty enqueue is answered too, with nothing.
  auto nothing = enqueue(*store, {});
  REQUIRE(nothing.has_value());
  CHECK(nothing->empty());

  const Delivery d = one(*store, first[0], true, true);
  CHECK(d.endpoint == "his");
  CHECK(d.order_key == "P1");
  CHECK(d.message_id == "m-42");
  CHECK(d.flow_id == "registration");
  CHECK(d.request == full.request);
  CHECK(d.request.size() == 11);
  CHECK(d.retry.attempts == 7);
  CHECK(d.retry.backoff == 1500ms);
  CHECK(d.retry.max_backoff == 90s);
  CHECK(d.retry.jitter);
  CHECK(d.state == DeliveryState::queued);
  CHECK(d.attempts == 0);
  CHECK(d.total_attempts == 0);
  CHECK(d.created_at == t0);
  CHECK(d.next_attempt_at == t0 + 5s);
  CHECK(d.last_error.empty());
  CHECK_FALSE(d.interrupted);
  CHECK(d.history.empty());
  // Without with_requests the request is not read.
  CHECK(one(*store, first[0], false, false).request.empty());
  CHECK(one(*store, first[1]).order_key == "P2");
  CHECK(one(*store, first[2]).order_key.empty());

  // An empty request is a row too (an empty BLOB, not NULL, which the schema refuses).
  Delivery empty = make("his");
  empty.request.clear();
  const Ids empty_id = enqueue_ids(*store, {empty});
  REQUIRE(empty_id.size() == 1);
  CHECK(one(*store, empty_id[0], false, true).request.empty());
}

STORE_CASE("store deliveries: ids are never given again, even after the newest went", "[store][deliveries]") {
  auto store = backend.open();
  const Ids ids = enqueue_ids(*store, {make("his"), make("his")});
  apply_changes(*store, {started(ids[1], 1, 1, t0), finished(Kind::delivered, ids[1], 1, t0 + 1ms, "ok", "")});
  CHECK(gone(*store, ids[1]));
  const Ids next = enqueue_ids(*store, {make("his")});
  CHECK(next[0] > ids[1]);
}

STORE_CASE("store deliveries: callbacks come in the order of the writes", "[store][deliveries]") {
  auto store = backend.open();
  std::mutex mutex;
  std::vector<int> order;
  int failures = 0;  // counted here, checked on the test's thread: Catch is not thread-safe
  std::promise<void> all_done;
  constexpr int writes = 60;
  for (int i = 0; i < writes; ++i) {
    auto note = [&, i](bool ok) {
      std::lock_guard lock(mutex);
      if (!ok) ++failures;
      order.push_back(i);
      if (order.size() == writes) all_done.set_value();
    };
    if (i % 2 == 0) {
      store->enqueue({make("his", std::to_string(i))},
                     [note](Expected<std::vector<Delivery>> stored) { note(stored.has_value()); });
    } else {
      store->change({}, [note](Status status) { note(status.has_value()); });
    }
  }
  REQUIRE(all_done.get_future().wait_for(20s) == std::future_status::ready);
  std::vector<int> expected;
  for (int i = 0; i < writes; ++i) expected.push_back(i);
  CHECK(order == expected);
  CHECK(failures == 0);
}

STORE_CASE("store deliveries: an attempt is counted when it starts and closed when it ends", "[store][deliveries]") {
  auto store = backend.open();
  const std::int64_t id = enqueue_ids(*store, {make("his", "P1")})[0];

  apply_changes(*store, {started(id, 1, 1, t0 + 1s)});
  Delivery d = one(*store, id);
  CHECK(d.attempts == 1);
  CHECK(d.total_attempts == 1);
  CHECK(d.interrupted);  // an attempt without an outcome: after a restart, maybe delivered
  REQUIRE(d.history.size() == 1);
  CHECK(d.history[0].number == 1);
  CHECK(d.history[0].started_at == t0 + 1s);
  CHECK_FALSE(d.history[0].finished_at);
  CHECK(d.history[0].outcome.empty());

  // retry_later: the attempt gets its outcome, the delivery its next time and last error.
  apply_changes(*store, {finished(Kind::retry_later, id, 1, t0 + 2s, "timeout", "no answer in 5s", t0 + 12s)});
  d = one(*store, id);
  CHECK(d.state == DeliveryState::queued);
  CHECK(d.attempts == 1);
  CHECK(d.next_attempt_at == t0 + 12s);
  CHECK(d.last_error == "no answer in 5s");
  CHECK_FALSE(d.interrupted);
  REQUIRE(d.history.size() == 1);
  REQUIRE(d.history[0].finished_at);
  CHECK(*d.history[0].finished_at == t0 + 2s);
  CHECK(d.history[0].outcome == "timeout");
  CHECK(d.history[0].error == "no answer in 5s");

  // A second attempt, failed for good: a dead letter that keeps its whole history.
  apply_changes(*store, {started(id, 2, 2, t0 + 12s)});
  apply_changes(*store, {finished(Kind::dead, id, 2, t0 + 13s, "upstream", "AR: unknown patient")});
  d = one(*store, id);
  CHECK(d.state == DeliveryState::dead);
  CHECK(d.attempts == 2);
  CHECK(d.total_attempts == 2);
  CHECK(d.last_error == "AR: unknown patient");
  CHECK_FALSE(d.interrupted);
  REQUIRE(d.history.size() == 2);
  CHECK(d.history[0].outcome == "timeout");
  CHECK(d.history[1].number == 2);
  CHECK(d.history[1].started_at == t0 + 12s);
  REQUIRE(d.history[1].finished_at);
  CHECK(*d.history[1].finished_at == t0 + 13s);
  CHECK(d.history[1].outcome == "upstream");
  CHECK(d.history[1].error == "AR: unknown patient");

  // Replay: queued again with a fresh budget; the life-long count and the history stay.
  apply_changes(*store, {simple(Kind::replay, id, t0 + 1h, t0 + 1h)});
  d = one(*store, id);
  CHECK(d.state == DeliveryState::queued);
  CHECK(d.attempts == 0);
  CHECK(d.total_attempts == 2);
  CHECK(d.next_attempt_at == t0 + 1h);
  CHECK(d.history.size() == 2);

  // Its next attempt is number 3 of its life, 1 of this budget; delivered, it goes, attempts too.
  apply_changes(*store, {started(id, 1, 3, t0 + 1h)});
  d = one(*store, id);
  CHECK(d.attempts == 1);
  CHECK(d.total_attempts == 3);
  REQUIRE(d.history.size() == 3);
  CHECK(d.history[2].number == 3);
  apply_changes(*store, {finished(Kind::delivered, id, 3, t0 + 1h + 1s, "ok", "")});
  CHECK(gone(*store, id));
  if (backend.lasting()) {
    CHECK(backend.sql_text("SELECT count(*) FROM delivery_attempts") == "0");
    CHECK(backend.sql_text("SELECT count(*) FROM deliveries") == "0");
  }
}

STORE_CASE("store deliveries: several changes in one call apply in the order given", "[store][deliveries]") {
  auto store = backend.open();
  const Ids ids = enqueue_ids(*store, {make("his", "a"), make("his", "b")});
  apply_changes(*store, {started(ids[0], 1, 1, t0),
                         finished(Kind::retry_later, ids[0], 1, t0 + 1ms, "unavailable", "connection refused", t0 + 1s),
                         started(ids[0], 2, 2, t0 + 1s), started(ids[1], 1, 1, t0 + 1s),
                         finished(Kind::dead, ids[1], 1, t0 + 2s, "rejected", "refused")});
  const Delivery a = one(*store, ids[0]);
  CHECK(a.attempts == 2);
  CHECK(a.interrupted);
  REQUIRE(a.history.size() == 2);
  CHECK(a.history[0].outcome == "unavailable");
  CHECK_FALSE(a.history[1].finished_at);
  const Delivery b = one(*store, ids[1]);
  CHECK(b.state == DeliveryState::dead);
  CHECK(b.last_error == "refused");
}

STORE_CASE("store deliveries: interrupted closes the attempt a previous run left open", "[store][deliveries]") {
  auto store = backend.open();
  const Ids ids = enqueue_ids(*store, {make("his"), make("his", "other")});
  apply_changes(*store,
                {started(ids[0], 1, 1, t0), finished(Kind::retry_later, ids[0], 1, t0 + 1s, "timeout", "slow", t0 + 2s),
                 started(ids[0], 2, 2, t0 + 2s)});
  REQUIRE(one(*store, ids[0]).interrupted);
  CHECK_FALSE(one(*store, ids[1]).interrupted);

  apply_changes(*store, {simple(Kind::interrupted, ids[0], t0 + 1min, {}, "the gateway stopped during this attempt")});
  const Delivery d = one(*store, ids[0]);
  CHECK_FALSE(d.interrupted);
  CHECK(d.state == DeliveryState::queued);
  CHECK(d.attempts == 2);  // the attempt counts against the budget: it may have been delivered
  REQUIRE(d.history.size() == 2);
  // The finished attempt keeps its own outcome; only the open one is closed.
  CHECK(d.history[0].outcome == "timeout");
  CHECK(*d.history[0].finished_at == t0 + 1s);
  CHECK(d.history[1].outcome == "interrupted");
  REQUIRE(d.history[1].finished_at);
  CHECK(*d.history[1].finished_at == t0 + 1min);
  CHECK(d.history[1].error == "the gateway stopped during this attempt");
  // Nothing open: a second interrupted changes nothing.
  apply_changes(*store, {simple(Kind::interrupted, ids[0], t0 + 2min, {}, "again")});
  CHECK(*one(*store, ids[0]).history[1].finished_at == t0 + 1min);
}

STORE_CASE("store deliveries: discard removes dead letters and refuses queued ones", "[store][deliveries]") {
  auto store = backend.open();
  const Ids ids = enqueue_ids(*store, {make("his", "dead"), make("his", "queued")});
  apply_changes(
      *store, {started(ids[0], 1, 1, t0), finished(Kind::dead, ids[0], 1, t0 + 1s, "rejected", "AR"),
               started(ids[1], 1, 1, t0), finished(Kind::retry_later, ids[1], 1, t0 + 1s, "timeout", "slow", t0 + 5s)});

  // A queued delivery is not a dead letter: discard and replay leave it (and its attempts) be.
  apply_changes(*store, {simple(Kind::discard, ids[1], t0 + 2s), simple(Kind::replay, ids[1], t0 + 2s, t0 + 3s)});
  const Delivery queued = one(*store, ids[1]);
  CHECK(queued.state == DeliveryState::queued);
  CHECK(queued.next_attempt_at == t0 + 5s);
  CHECK(queued.attempts == 1);
  CHECK(queued.history.size() == 1);

  apply_changes(*store, {simple(Kind::discard, ids[0], t0 + 2s)});
  CHECK(gone(*store, ids[0]));
  CHECK(one(*store, ids[1]).history.size() == 1);
  if (backend.lasting()) {
    CHECK(backend.sql_text("SELECT count(*) FROM delivery_attempts WHERE delivery_id = " + std::to_string(ids[0])) ==
          "0");
    CHECK(backend.sql_text("SELECT count(*) FROM delivery_attempts WHERE delivery_id = " + std::to_string(ids[1])) ==
          "1");
  }
  // A change for an id that is not there is no error: the delivery was handled meanwhile.
  apply_changes(*store, {simple(Kind::discard, ids[0], t0 + 3s), simple(Kind::replay, 999'999, t0 + 3s, t0 + 3s)});
}

STORE_CASE("store deliveries: deliveries() filters by state, endpoint, ids, time and error, oldest first",
           "[store][deliveries]") {
  auto store = backend.open();
  std::vector<Delivery> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(make(i % 2 ? "lab" : "his", "k" + std::to_string(i), t0 + i * 1s));
  const Ids ids = enqueue_ids(*store, batch);
  REQUIRE(ids.size() == 10);
  // 2, 3 and 7 are dead letters with different errors; 4 waits for a retry after a timeout.
  std::vector<DeliveryChange> changes;
  for (int i : {2, 3, 7, 4}) changes.push_back(started(ids[i], 1, 1, t0 + 20s));
  changes.push_back(finished(Kind::dead, ids[2], 1, t0 + 21s, "rejected", "AR: unknown patient 4711"));
  changes.push_back(finished(Kind::dead, ids[3], 1, t0 + 21s, "upstream", "HTTP 400 Bad Request"));
  changes.push_back(finished(Kind::dead, ids[7], 1, t0 + 21s, "upstream", "AR: Unknown Patient 12"));
  changes.push_back(
      finished(Kind::retry_later, ids[4], 1, t0 + 21s, "timeout", "unknown patient? no answer", t0 + 30s));
  apply_changes(*store, changes);

  auto pick = [&](std::initializer_list<int> which) {
    Ids out;
    for (int i : which) out.push_back(ids[i]);
    return out;
  };
  DeliveryQuery all;
  CHECK(ids_of(query(*store, all)) == ids);

  DeliveryQuery dead;
  dead.state = DeliveryState::dead;
  CHECK(ids_of(query(*store, dead)) == pick({2, 3, 7}));
  DeliveryQuery queued;
  queued.state = DeliveryState::queued;
  CHECK(ids_of(query(*store, queued)) == pick({0, 1, 4, 5, 6, 8, 9}));

  DeliveryQuery lab;
  lab.endpoint = "lab";
  CHECK(ids_of(query(*store, lab)) == pick({1, 3, 5, 7, 9}));
  lab.state = DeliveryState::dead;
  CHECK(ids_of(query(*store, lab)) == pick({3, 7}));
  DeliveryQuery nowhere;
  nowhere.endpoint = "nowhere";
  CHECK(query(*store, nowhere).empty());

  DeliveryQuery by_ids;
  by_ids.ids = {ids[8], ids[1], 123'456'789, ids[5]};
  CHECK(ids_of(query(*store, by_ids)) == pick({1, 5, 8}));  // oldest first, whatever the order asked
  by_ids.endpoint = "his";
  CHECK(ids_of(query(*store, by_ids)) == pick({8}));

  // since inclusive, until exclusive: consecutive windows never overlap.
  DeliveryQuery window;
  window.since = t0 + 3s;
  window.until = t0 + 6s;
  CHECK(ids_of(query(*store, window)) == pick({3, 4, 5}));
  window.since = t0 + 6s;
  window.until = t0 + 7s;
  CHECK(ids_of(query(*store, window)) == pick({6}));
  window.since = t0 + 3s + 1us;
  window.until.reset();
  CHECK(ids_of(query(*store, window)) == pick({4, 5, 6, 7, 8, 9}));
  window.since.reset();
  window.until = t0;
  CHECK(query(*store, window).empty());

  // error_contains is a plain substring, case and all (no LIKE wildcards).
  DeliveryQuery error;
  error.error_contains = "unknown patient";
  CHECK(ids_of(query(*store, error)) == pick({2, 4}));
  error.state = DeliveryState::dead;
  CHECK(ids_of(query(*store, error)) == pick({2}));
  DeliveryQuery wildcard;
  wildcard.error_contains = "%";
  CHECK(query(*store, wildcard).empty());
  wildcard.error_contains = "AR:_";
  CHECK(query(*store, wildcard).empty());
  wildcard.error_contains = "400 Bad";
  CHECK(ids_of(query(*store, wildcard)) == pick({3}));

  DeliveryQuery limited;
  limited.limit = 3;
  CHECK(ids_of(query(*store, limited)) == pick({0, 1, 2}));
  limited.state = DeliveryState::queued;
  limited.limit = 2;
  CHECK(ids_of(query(*store, limited)) == pick({0, 1}));
  limited.limit = 0;  // no limit
  CHECK(query(*store, limited).size() == 7);
  DeliveryQuery hundred;  // the default limit
  std::vector<Delivery> more(150, make("bulk"));
  enqueue_ids(*store, more);
  CHECK(query(*store, hundred).size() == 100);
  hundred.limit = 0;
  CHECK(query(*store, hundred).size() == 160);

  // Every filter at once.
  DeliveryQuery every;
  every.endpoint = "lab";
  every.state = DeliveryState::dead;
  every.ids = {ids[3], ids[7], ids[9]};
  every.since = t0 + 1s;
  every.until = t0 + 8s;
  every.error_contains = "Unknown";
  every.limit = 5;
  every.with_history = true;
  every.with_requests = true;
  const auto rows = query(*store, every);
  REQUIRE(ids_of(rows) == pick({7}));
  CHECK(rows[0].request == make("lab").request);
  REQUIRE(rows[0].history.size() == 1);
  CHECK(rows[0].history[0].outcome == "upstream");
}

STORE_CASE("store deliveries: with_history fills each delivery's own attempts, and only then", "[store][deliveries]") {
  auto store = backend.open();
  const Ids ids = enqueue_ids(*store, {make("his", "a"), make("his", "b"), make("his", "c")});
  std::vector<DeliveryChange> changes;
  for (int n = 1; n <= 3; ++n) {
    changes.push_back(started(ids[0], n, n, t0 + n * 1s));
    changes.push_back(
        finished(Kind::retry_later, ids[0], n, t0 + n * 1s + 1ms, "timeout", "a" + std::to_string(n), t0));
  }
  changes.push_back(started(ids[2], 1, 1, t0 + 9s));
  apply_changes(*store, changes);
  DeliveryQuery q;
  q.with_history = true;
  auto rows = query(*store, q);
  REQUIRE(rows.size() == 3);
  REQUIRE(rows[0].history.size() == 3);
  for (int n = 0; n < 3; ++n) {
    CHECK(rows[0].history[n].number == n + 1);
    CHECK(rows[0].history[n].error == "a" + std::to_string(n + 1));
  }
  CHECK(rows[1].history.empty());
  REQUIRE(rows[2].history.size() == 1);
  CHECK_FALSE(rows[2].history[0].finished_at);
  q.with_history = false;
  for (const Delivery& d : query(*store, q)) CHECK(d.history.empty());
}

STORE_CASE("store deliveries: queue and journal writes share a batch and both land", "[store][deliveries]") {
  auto store = backend.open();
  std::vector<std::future<Expected<std::vector<Delivery>>>> futures;
  std::vector<std::shared_ptr<std::promise<Expected<std::vector<Delivery>>>>> promises;
  for (int i = 0; i < 50; ++i) {
    JournalEntry entry;
    entry.message_id = "j-" + std::to_string(i);
    entry.trace_id = entry.message_id;
    entry.flow_id = "adt";
    entry.received_at = t0 + i * 1ms;
    entry.outcome = "ok";
    entry.request = make_buffer("body " + std::to_string(i));
    store->journal(std::move(entry));
    auto promise = std::make_shared<std::promise<Expected<std::vector<Delivery>>>>();
    futures.push_back(promise->get_future());
    store->enqueue({make("his", std::to_string(i))},
                   [promise](Expected<std::vector<Delivery>> stored) { promise->set_value(std::move(stored)); });
  }
  std::int64_t last = 0;
  for (auto& f : futures) {
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    auto stored = f.get();
    REQUIRE(stored.has_value());
    REQUIRE(stored->size() == 1);
    CHECK(stored->front().id > last);
    last = stored->front().id;
  }
  store->flush();
  CHECK(store->written() == 50);
  CHECK(store->dropped() == 0);
  JournalQuery jq;
  jq.limit = 1000;
  auto found = store->search(jq);
  REQUIRE(found.has_value());
  CHECK(found->size() == 50);
  DeliveryQuery dq;
  dq.limit = 0;
  CHECK(query(*store, dq).size() == 50);
}

LASTING_STORE_CASE("store deliveries: a failed queue write is a no for its caller, and the store goes on",
                   "[store][deliveries]") {
  auto opened = backend.open();
  Store& store = *opened;
  const std::int64_t id = enqueue_ids(store, {make("his")})[0];

  backend.sql_exec("DROP TABLE delivery_attempts");
  Status failed = change(store, {started(id, 1, 1, t0)});
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().kind == ErrorKind::unavailable);
  CHECK_THAT(failed.error().message, Catch::Contains(backend.missing_table("delivery_attempts")));
  CHECK_THAT(failed.error().message, Catch::Contains(backend.where()));
  // Nothing of the failed batch stayed: the delivery was not counted as attempted.
  CHECK(backend.sql_text("SELECT attempts FROM deliveries WHERE id = " + std::to_string(id)) == "0");

  // Queueing still works where its table is whole, and so does the journal.
  CHECK(enqueue_ids(store, {make("his")}).size() == 1);
  JournalEntry entry;
  entry.message_id = "after";
  entry.flow_id = "adt";
  entry.received_at = t0;
  entry.outcome = "ok";
  store.journal(std::move(entry));
  store.flush();
  CHECK(store.written() == 1);
}

LASTING_STORE_CASE("store deliveries: a lasting store keeps queued and dead deliveries across reopening",
                   "[store][deliveries]") {
  Ids ids;
  {
    auto opened = backend.open();
    Store& store = *opened;
    Delivery keyed = make("his", "P1", t0);
    keyed.retry = RetryPolicy{3, 2s, 20s, true};
    ids = enqueue_ids(store, {keyed, make("lab", "P2", t0 + 1s), make("his", "P3", t0 + 2s)});
    apply_changes(
        store,
        {started(ids[1], 1, 1, t0 + 5s), finished(Kind::dead, ids[1], 1, t0 + 6s, "rejected", "AR: no"),
         started(ids[2], 1, 1, t0 + 5s), finished(Kind::retry_later, ids[2], 1, t0 + 6s, "timeout", "slow", t0 + 16s)});
    // Closed without a wait: the store writes what is queued before it closes.
    store.change({}, [](Status) {});
  }
  auto reopened = backend.open();
  Store& store = *reopened;
  DeliveryQuery q;
  q.with_history = true;
  q.with_requests = true;
  const auto rows = query(store, q);
  REQUIRE(ids_of(rows) == ids);
  CHECK(rows[0].state == DeliveryState::queued);
  CHECK(rows[0].order_key == "P1");
  CHECK(rows[0].retry.attempts == 3);
  CHECK(rows[0].retry.backoff == 2s);
  CHECK(rows[0].retry.max_backoff == 20s);
  CHECK(rows[0].retry.jitter);
  CHECK(rows[0].request == make("his").request);
  CHECK(rows[0].created_at == t0);
  CHECK(rows[1].state == DeliveryState::dead);
  CHECK(rows[1].last_error == "AR: no");
  REQUIRE(rows[1].history.size() == 1);
  CHECK(rows[1].history[0].outcome == "rejected");
  CHECK(rows[2].state == DeliveryState::queued);
  CHECK(rows[2].next_attempt_at == t0 + 16s);
  CHECK(rows[2].attempts == 1);
  for (const Delivery& d : rows) CHECK_FALSE(d.interrupted);
  // And ids go on from where they were.
  CHECK(enqueue_ids(store, {make("his")})[0] > ids[2]);
}

LASTING_STORE_CASE("store deliveries: an attempt under way when the process is killed shows as interrupted",
                   "[store][deliveries]") {
  const std::string url = backend.url();
  // A child process queues a delivery, records the start of its attempt, hears that it is
  // durable and is killed with SIGKILL before any outcome, as the gateway would be by kill -9.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto opened = open_store(url, "");
    if (!opened) _exit(2);
    Store& store = **opened;
    std::promise<std::int64_t> queued;
    store.enqueue({make("his", "P1", t0)}, [&queued](Expected<std::vector<Delivery>> stored) {
      queued.set_value(stored && stored->size() == 1 ? stored->front().id : -1);
    });
    const std::int64_t id = queued.get_future().get();
    if (id < 0) _exit(3);
    std::promise<bool> recorded;
    store.change({started(id, 1, 1, t0 + 1s)}, [&recorded](Status status) { recorded.set_value(status.has_value()); });
    if (!recorded.get_future().get()) _exit(4);
    kill(getpid(), SIGKILL);
    _exit(5);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child exit status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  auto reopened = backend.open();
  Store& store = *reopened;
  DeliveryQuery q;
  q.state = DeliveryState::queued;
  q.with_history = true;
  auto rows = query(store, q);
  REQUIRE(rows.size() == 1);
  const Delivery& d = rows[0];
  CHECK(d.interrupted);
  CHECK(d.attempts == 1);
  CHECK(d.total_attempts == 1);
  REQUIRE(d.history.size() == 1);
  CHECK(d.history[0].started_at == t0 + 1s);
  CHECK_FALSE(d.history[0].finished_at);

  // What DeliveryService::start does then: close the attempt as interrupted.
  apply_changes(store, {simple(Kind::interrupted, d.id, t0 + 1min, {}, "the gateway stopped during this attempt")});
  const Delivery closed = one(store, d.id);
  CHECK_FALSE(closed.interrupted);
  REQUIRE(closed.history.size() == 1);
  CHECK(closed.history[0].outcome == "interrupted");
}

STORE_CASE("store: a message's deliveries, the delivered ones too, are read back with every attempt", "[store]") {
  auto store = backend.open();
  Delivery to_lis = make("lis", "P001");
  to_lis.message_id = "adt-1";
  Delivery to_pacs = make("pacs", "P001");
  to_pacs.message_id = "adt-1";
  Delivery other = make("lis", "P002");
  other.message_id = "adt-2";
  const auto ids = enqueue_ids(*store, {to_lis, to_pacs, other});
  // The LIS takes it at the second attempt; the PACS is still failing.
  apply_changes(*store, {started(ids[0], 1, 1, t0), finished(Kind::retry_later, ids[0], 1, t0 + 1s, "unavailable",
                                                             "connection refused", t0 + 2s)});
  apply_changes(*store, {started(ids[0], 2, 2, t0 + 2s), finished(Kind::delivered, ids[0], 2, t0 + 3s, "ok", "")});
  apply_changes(*store, {started(ids[1], 1, 1, t0 + 1s),
                         finished(Kind::retry_later, ids[1], 1, t0 + 4s, "timeout", "no answer in 3s", t0 + 9s)});

  auto found = store->message_deliveries("adt-1");
  INFO((found ? std::string() : found.error().message));
  REQUIRE(found.has_value());
  REQUIRE(found->size() == 2);
  const Delivery& lis = (*found)[0];
  CHECK(lis.id == ids[0]);
  CHECK(lis.endpoint == "lis");
  CHECK(lis.order_key == "P001");
  CHECK(lis.state == DeliveryState::delivered);
  REQUIRE(lis.delivered_at.has_value());
  CHECK(*lis.delivered_at == t0 + 3s);
  CHECK(lis.total_attempts == 2);
  REQUIRE(lis.history.size() == 2);
  CHECK(lis.history[0].outcome == "unavailable");
  CHECK(lis.history[0].error == "connection refused");
  CHECK(lis.history[0].finished_at == t0 + 1s);
  CHECK(lis.history[1].number == 2);
  CHECK(lis.history[1].started_at == t0 + 2s);
  CHECK(lis.history[1].finished_at == t0 + 3s);
  CHECK(lis.history[1].outcome == "ok");
  const Delivery& pacs = (*found)[1];
  CHECK(pacs.state == DeliveryState::queued);
  REQUIRE(pacs.history.size() == 1);
  CHECK(pacs.history[0].outcome == "timeout");

  // The delivered one left the queue.
  DeliveryQuery queued;
  queued.endpoint = "lis";
  auto in_queue = store->deliveries(queued);
  REQUIRE(in_queue.has_value());
  REQUIRE(in_queue->size() == 1);
  CHECK(in_queue->front().message_id == "adt-2");
  CHECK(store->message_deliveries("adt-3")->empty());
}
