// The pieces of the persistent queues that need no gateway: the request bytes, the in-memory
// queues, the retry backoff, and the store's queue tables (in memory and in a file reopened as
// after a crash).

#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <vector>

#include "core/delivery/delivery_queues.hpp"
#include "core/delivery/delivery_service.hpp"
#include "core/delivery/request_bytes.hpp"
#include "core/store/sqlite_store.hpp"

using namespace qiao;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

namespace {

const Clock::time_point t0{std::chrono::microseconds(1'700'000'000'000'000)};

Delivery delivery(std::int64_t id, std::string endpoint, std::string key, Clock::time_point due = t0) {
  Delivery d;
  d.id = id;
  d.endpoint = std::move(endpoint);
  d.order_key = std::move(key);
  d.message_id = "m" + std::to_string(id);
  d.flow_id = "flow";
  d.request = "request " + std::to_string(id);
  d.created_at = due;
  d.next_attempt_at = due;
  return d;
}

std::vector<std::int64_t> ids(const std::vector<Delivery*>& started) {
  std::vector<std::int64_t> out;
  for (const Delivery* d : started) out.push_back(d->id);
  return out;
}

auto limit_of(std::size_t n) {
  return [n](const std::string&) { return n; };
}

std::vector<Delivery> stored(Store& store, std::vector<Delivery> deliveries) {
  std::promise<Expected<std::vector<Delivery>>> done;
  auto future = done.get_future();
  store.enqueue(std::move(deliveries), [&](Expected<std::vector<Delivery>> result) { done.set_value(std::move(result)); });
  auto result = future.get();
  REQUIRE(result.has_value());
  return std::move(result).value();
}

void apply(Store& store, std::vector<DeliveryChange> changes) {
  std::promise<Status> done;
  auto future = done.get_future();
  store.change(std::move(changes), [&](Status status) { done.set_value(std::move(status)); });
  const Status status = future.get();
  REQUIRE(status.has_value());
}

DeliveryChange change(DeliveryChange::Kind kind, std::int64_t id, int attempt = 1) {
  DeliveryChange c;
  c.kind = kind;
  c.id = id;
  c.attempt = attempt;
  c.total_attempt = attempt;
  c.at = t0 + 1s;
  c.next_attempt_at = t0 + 10s;
  c.outcome = kind == DeliveryChange::Kind::started ? "" : "unavailable";
  c.error = "connection refused";
  return c;
}

std::vector<Delivery> rows(const Store& store, DeliveryQuery query = {}) {
  query.limit = 0;
  auto found = store.deliveries(query);
  REQUIRE(found.has_value());
  return std::move(found).value();
}

}  // namespace

TEST_CASE("request bytes: every value type comes back as it went, decimals as written", "[delivery]") {
  CallRequest request;
  request.operation = "Register";
  request.headers.set("X-Trace", Value("abc"));
  Object body;
  body.set("amount", Value(Decimal{"12.50"}));
  body.set("count", Value(std::int64_t{-9'000'000'000}));
  body.set("ratio", Value(0.125));
  body.set("ok", Value(true));
  body.set("none", Value());
  body.set("name", Value("张三"));
  body.set("mac", Value(Bytes{Text(std::string("\0\x01\xff", 3))}));
  body.set("items", Value(Array{Value(1), Value(Array{Value("nested")}), Value(Object{{"z", Value(1)}, {"a", Value(2)}})}));
  request.body = Value(std::move(body));

  const std::string bytes = encode_request(request);
  auto back = decode_request(bytes);
  REQUIRE(back.has_value());
  CHECK(back->operation == "Register");
  CHECK(back->headers == request.headers);
  CHECK(back->body == request.body);
  CHECK(back->body.find("amount")->as_decimal().text == "12.50");
  // Key order is kept: z before a.
  const Object& last = back->body.find("items")->as_array()[2].as_object();
  CHECK(last.begin()->first == "z");
}

TEST_CASE("request bytes: damaged rows are errors, at every length and with wrong counts", "[delivery]") {
  CallRequest request;
  request.body = Value(Object{{"a", Value(Array{Value("x"), Value(Decimal{"1.0"})})}});
  const std::string bytes = encode_request(request);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO(n);
    CHECK_FALSE(decode_request(std::string_view(bytes).substr(0, n)).has_value());
  }
  CHECK_FALSE(decode_request(bytes + "x").has_value());
  std::string other_version = bytes;
  other_version[0] = 9;
  auto refused = decode_request(other_version);
  REQUIRE_FALSE(refused.has_value());
  CHECK_THAT(refused.error().message, Catch::Contains("format 9"));
  // An array claiming 2^62 elements, and an array nested past any message.
  CHECK_FALSE(decode_request(std::string("\x01\x00\x08\x00\x07\xff\xff\xff\xff\xff\xff\xff\xff\x3f", 14)).has_value());
  std::string deep = std::string("\x01\x00\x08\x00", 4);
  for (int i = 0; i < 100'000; ++i) deep += std::string("\x07\x01", 2);
  CHECK_FALSE(decode_request(deep).has_value());
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::string noise = bytes;
    noise[random() % noise.size()] = static_cast<char>(random());
    (void)decode_request(noise);  // must not crash; may or may not decode
  }
}

TEST_CASE("delivery queues: FIFO per key, keys in parallel up to max_in_flight", "[delivery]") {
  DeliveryQueues queues;
  queues.add(delivery(1, "lis", "P1"));
  queues.add(delivery(2, "lis", "P1"));
  queues.add(delivery(3, "lis", "P2"));
  queues.add(delivery(4, "lis", "P3"));
  queues.add(delivery(5, "pacs", "P1"));

  // One per key, oldest first, at most 2 for lis; pacs is its own queue.
  CHECK(ids(queues.start_due(t0, limit_of(2))) == std::vector<std::int64_t>{1, 3, 5});
  CHECK(queues.start_due(t0, limit_of(2)).empty());
  queues.finish(3, true);
  // P1's head is in flight, so P1's second waits; P3 gets the free slot.
  CHECK(ids(queues.start_due(t0, limit_of(2))) == std::vector<std::int64_t>{4});
  queues.finish(1, true);
  queues.finish(4, true);
  CHECK(ids(queues.start_due(t0, limit_of(2))) == std::vector<std::int64_t>{2});
  queues.finish(2, true);
  queues.finish(5, true);
  CHECK(queues.size() == 0);
  CHECK_FALSE(queues.next_due().has_value());
}

TEST_CASE("delivery queues: a retry goes back to the head of its key and waits until due", "[delivery]") {
  DeliveryQueues queues;
  queues.add(delivery(1, "lis", "P1"));
  queues.add(delivery(2, "lis", "P1"));
  REQUIRE(ids(queues.start_due(t0, limit_of(8))) == std::vector<std::int64_t>{1});
  queues.finish(1, false, t0 + 5s);
  CHECK(queues.start_due(t0 + 4s, limit_of(8)).empty());  // 2 does not overtake 1
  REQUIRE(queues.next_due().has_value());
  CHECK(*queues.next_due() == t0 + 5s);
  CHECK(ids(queues.start_due(t0 + 5s, limit_of(8))) == std::vector<std::int64_t>{1});
  CHECK(queues.in_flight(1) != nullptr);
  CHECK(queues.in_flight(2) == nullptr);
}

TEST_CASE("delivery queues: a replayed older delivery goes before newer ones of its key", "[delivery]") {
  DeliveryQueues queues;
  queues.add(delivery(7, "lis", "P1"));
  queues.add(delivery(8, "lis", "P1"));
  queues.add(delivery(3, "lis", "P1"));
  queues.add(delivery(3, "lis", "P1"));  // twice: held once
  CHECK(queues.size() == 3);
  CHECK(ids(queues.start_due(t0, limit_of(8))) == std::vector<std::int64_t>{3});
}

TEST_CASE("delivery queues: max_in_flight 0 holds an endpoint, stats count depth and age", "[delivery]") {
  DeliveryQueues queues(16);  // room for the first request only
  queues.add(delivery(1, "lis", "P1", t0));
  queues.add(delivery(2, "lis", "P2", t0 + 1s));
  CHECK(queues.start_due(t0 + 2s, limit_of(0)).empty());
  auto started = queues.start_due(t0 + 2s, limit_of(1));
  REQUIRE(started.size() == 1);
  CHECK_FALSE(started[0]->request.empty());
  const auto stats = queues.stats();
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].depth == 2);
  CHECK(stats[0].in_flight == 1);
  REQUIRE(stats[0].oldest.has_value());
  CHECK(*stats[0].oldest == t0);
  queues.finish(1, true);
  auto second = queues.start_due(t0 + 2s, limit_of(1));
  REQUIRE(second.size() == 1);
  CHECK(second[0]->request.empty());  // beyond the budget: read back from the store
}

TEST_CASE("delivery backoff: doubles, stops at max_backoff, jitter within half to all", "[delivery]") {
  RetryPolicy retry;
  retry.backoff = 1s;
  retry.max_backoff = 10s;
  retry.jitter = false;
  CHECK(DeliveryService::backoff(retry, 1, 0.5) == 1s);
  CHECK(DeliveryService::backoff(retry, 2, 0.5) == 2s);
  CHECK(DeliveryService::backoff(retry, 4, 0.5) == 8s);
  CHECK(DeliveryService::backoff(retry, 5, 0.5) == 10s);
  CHECK(DeliveryService::backoff(retry, 1000, 0.5) == 10s);
  retry.jitter = true;
  CHECK(DeliveryService::backoff(retry, 4, 0.0) == 4s);
  CHECK(DeliveryService::backoff(retry, 4, 1.0) == 8s);
  retry.backoff = 0ms;
  retry.max_backoff = 0ms;
  CHECK(DeliveryService::backoff(retry, 1, 0.0) == 10ms);  // never a busy loop
}

TEST_CASE("store queues: ids, attempts, retries, dead letters, replay and discard", "[delivery][store]") {
  auto opened = SqliteStore::open_memory();
  REQUIRE(opened.has_value());
  Store& store = **opened;
  auto queued = stored(store, {delivery(0, "lis", "P1"), delivery(0, "lis", "P2"), delivery(0, "pacs", "P1")});
  REQUIRE(queued.size() == 3);
  CHECK(queued[0].id < queued[1].id);
  CHECK(queued[1].id < queued[2].id);
  const std::int64_t a = queued[0].id, b = queued[1].id, c = queued[2].id;

  using Kind = DeliveryChange::Kind;
  apply(store, {change(Kind::started, a), change(Kind::started, b)});
  {
    DeliveryQuery q;
    q.ids = {a};
    auto row = rows(store, q);
    REQUIRE(row.size() == 1);
    CHECK(row[0].attempts == 1);
    CHECK(row[0].interrupted);  // started, no outcome yet
    CHECK(row[0].request.empty());
    q.with_requests = true;
    CHECK(rows(store, q)[0].request == "request 0");
  }
  apply(store, {change(Kind::retry_later, a), change(Kind::dead, b)});
  DeliveryQuery dead;
  dead.state = DeliveryState::dead;
  dead.with_history = true;
  auto buried = rows(store, dead);
  REQUIRE(buried.size() == 1);
  CHECK(buried[0].id == b);
  CHECK(buried[0].last_error == "connection refused");
  REQUIRE(buried[0].history.size() == 1);
  CHECK(buried[0].history[0].outcome == "unavailable");
  CHECK(buried[0].history[0].finished_at.has_value());

  DeliveryQuery queued_lis;
  queued_lis.state = DeliveryState::queued;
  queued_lis.endpoint = "lis";
  auto waiting = rows(store, queued_lis);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].next_attempt_at == t0 + 10s);
  CHECK_FALSE(waiting[0].interrupted);

  DeliveryQuery by_error;
  by_error.error_contains = "refused";
  CHECK(rows(store, by_error).size() == 2);
  by_error.error_contains = "timeout";
  CHECK(rows(store, by_error).empty());

  // Discard takes only dead letters; a queued delivery stays.
  apply(store, {change(Kind::discard, a)});
  CHECK(rows(store, queued_lis).size() == 1);
  // Replay queues the dead letter again with a fresh budget; its history stays.
  apply(store, {change(Kind::replay, b)});
  CHECK(rows(store, dead).empty());
  DeliveryQuery one;
  one.ids = {b};
  one.with_history = true;
  auto replayed = rows(store, one);
  REQUIRE(replayed.size() == 1);
  CHECK(replayed[0].state == DeliveryState::queued);
  CHECK(replayed[0].attempts == 0);
  CHECK(replayed[0].total_attempts == 1);
  CHECK(replayed[0].history.size() == 1);

  apply(store, {change(Kind::started, c), change(Kind::delivered, c)});
  DeliveryQuery gone;
  gone.ids = {c};
  CHECK(rows(store, gone).empty());
  apply(store, {change(Kind::dead, b), change(Kind::discard, b)});
  CHECK(rows(store, one).empty());
}

TEST_CASE("store queues: a file keeps its deliveries, and an attempt a crash cut short shows as interrupted",
          "[delivery][store]") {
  const auto dir = std::filesystem::temp_directory_path() / ("qiao-delivery-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "q.db").string();
  std::int64_t id = 0;
  {
    auto opened = SqliteStore::open(file);
    REQUIRE(opened.has_value());
    auto queued = stored(**opened, {delivery(0, "lis", "P1")});
    id = queued[0].id;
    apply(**opened, {change(DeliveryChange::Kind::started, id)});
  }
  {
    auto opened = SqliteStore::open(file);
    REQUIRE(opened.has_value());
    auto found = rows(**opened);
    REQUIRE(found.size() == 1);
    CHECK(found[0].id == id);
    CHECK(found[0].interrupted);
    DeliveryChange closed = change(DeliveryChange::Kind::interrupted, id);
    apply(**opened, {closed});
    DeliveryQuery q;
    q.with_history = true;
    found = rows(**opened, q);
    CHECK_FALSE(found[0].interrupted);
    REQUIRE(found[0].history.size() == 1);
    CHECK(found[0].history[0].outcome == "interrupted");
    // New ids never reuse old ones, even after the newest row went.
    apply(**opened, {change(DeliveryChange::Kind::delivered, id)});
    CHECK(stored(**opened, {delivery(0, "lis", "P1")})[0].id > id);
  }
  std::filesystem::remove_all(dir);
}
