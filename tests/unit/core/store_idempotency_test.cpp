// Idempotency keys in the store: what a claim gets (claimed, pending with the holder, answered
// with the bytes the first message was answered), what settle does with and without an answer,
// expiry, the lease after which a dead run's claim is taken over, and the deliveries a settle
// stores with its answer. Each case runs on SQLite and on PostgreSQL (store_backends.hpp).

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "core/store/store.hpp"
#include "tests/unit/core/store_backends.hpp"

using namespace std::chrono_literals;
using namespace qiao;
using Clock = std::chrono::system_clock;
using State = IdempotencyClaimResult::State;

namespace {

// Whole microseconds, as the store keeps them, and in the future (2100): the writer removes keys
// whose expiry has passed on the real clock, which would take every key of an earlier time.
const Clock::time_point t0{std::chrono::microseconds(4'102'444'800'123'456)};

IdempotencyClaim claim_of(std::string key, std::string message, Clock::time_point now = t0,
                          std::chrono::milliseconds ttl = 1h, std::chrono::milliseconds lease = 30s) {
  IdempotencyClaim c;
  c.flow_id = "payment";
  c.key = std::move(key);
  c.message_id = std::move(message);
  c.now = now;
  c.expires_at = now + ttl;
  c.lease = lease;
  return c;
}

std::future<Expected<IdempotencyClaimResult>> claim_async(Store& store, IdempotencyClaim c) {
  auto promise = std::make_shared<std::promise<Expected<IdempotencyClaimResult>>>();
  auto future = promise->get_future();
  store.claim(std::move(c), [promise](Expected<IdempotencyClaimResult> r) { promise->set_value(std::move(r)); });
  return future;
}

IdempotencyClaimResult claim(Store& store, IdempotencyClaim c) {
  auto future = claim_async(store, std::move(c));
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  auto result = future.get();
  INFO((result ? std::string() : result.error().message));
  REQUIRE(result.has_value());
  return std::move(result).value();
}

IdempotencyAnswer answer_of(std::string message) {
  IdempotencyAnswer a;
  a.message_id = std::move(message);
  a.status = 201;
  // Bytes, not text: NUL, invalid UTF-8 and GBK (支付) go back exactly as they came.
  a.content_type = "application/json; charset=GBK";
  a.headers = std::string("\x02\x00headers\xff\xfe", 11);
  a.body = std::string("{\"result\":\"\xd6\xa7\xb8\xb6\",\"nul\":\"\0\"}", 27);
  return a;
}

Expected<std::vector<Delivery>> settle(Store& store, std::string key, std::string message,
                                       std::optional<IdempotencyAnswer> answer, std::vector<Delivery> deliveries = {}) {
  IdempotencySettle s;
  s.flow_id = "payment";
  s.key = std::move(key);
  s.message_id = std::move(message);
  s.answer = std::move(answer);
  std::promise<Expected<std::vector<Delivery>>> promise;
  auto future = promise.get_future();
  store.settle(std::move(s), std::move(deliveries),
               [&promise](Expected<std::vector<Delivery>> stored) { promise.set_value(std::move(stored)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  return future.get();
}

void settled(Store& store, std::string key, std::string message, std::optional<IdempotencyAnswer> answer) {
  auto done = settle(store, std::move(key), std::move(message), std::move(answer));
  INFO((done ? std::string() : done.error().message));
  REQUIRE(done.has_value());
}

Delivery delivery(std::string endpoint) {
  Delivery d;
  d.endpoint = std::move(endpoint);
  d.order_key = "order-1";
  d.message_id = "m-1";
  d.flow_id = "payment";
  d.request = "notify";
  d.created_at = t0;
  d.next_attempt_at = t0;
  return d;
}

}  // namespace

STORE_CASE("store idempotency: the first claim holds the key, a second one is pending with the holder",
           "[store][idempotency]") {
  auto store = backend.open();
  const IdempotencyClaimResult first = claim(*store, claim_of("K0001", "m-1"));
  CHECK(first.state == State::claimed);
  CHECK(first.holder == "m-1");
  CHECK_FALSE(first.answer);

  const IdempotencyClaimResult second = claim(*store, claim_of("K0001", "m-2", t0 + 1s));
  CHECK(second.state == State::pending);
  CHECK(second.holder == "m-1");
  CHECK_FALSE(second.answer);

  // Keys are per flow, and another key is free.
  IdempotencyClaim other_flow = claim_of("K0001", "m-3", t0 + 1s);
  other_flow.flow_id = "refund";
  CHECK(claim(*store, other_flow).state == State::claimed);
  CHECK(claim(*store, claim_of("K0002", "m-4", t0 + 1s)).state == State::claimed);
}

STORE_CASE("store idempotency: claims of one key in one batch are decided one after another", "[store][idempotency]") {
  auto store = backend.open();
  // Sent without waiting, so they reach the writer together.
  std::vector<std::future<Expected<IdempotencyClaimResult>>> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(claim_async(*store, claim_of("K", "m-" + std::to_string(i))));
  std::vector<IdempotencyClaimResult> results;
  for (auto& f : futures) {
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    auto r = f.get();
    REQUIRE(r.has_value());
    results.push_back(std::move(r).value());
  }
  CHECK(results[0].state == State::claimed);
  for (int i = 1; i < 5; ++i) {
    CHECK(results[i].state == State::pending);
    CHECK(results[i].holder == "m-0");
  }
}

STORE_CASE("store idempotency: settled with an answer, a later claim gets that answer byte for byte",
           "[store][idempotency]") {
  auto store = backend.open();
  // A key is bytes too: GBK and a byte no UTF-8 has.
  const std::string key("\xd6\xa7\xb8\xb6-\xff-7", 8);
  REQUIRE(claim(*store, claim_of(key, "m-1")).state == State::claimed);
  const IdempotencyAnswer answer = answer_of("m-1");
  settled(*store, key, "m-1", answer);

  for (const std::string message : {"m-2", "m-1"}) {
    INFO("claimed again by " << message);
    const IdempotencyClaimResult again = claim(*store, claim_of(key, message, t0 + 10min));
    CHECK(again.state == State::answered);
    CHECK(again.holder == "m-1");
    REQUIRE(again.answer);
    CHECK(again.answer->message_id == "m-1");
    CHECK(again.answer->status == 201);
    CHECK(again.answer->content_type == answer.content_type);
    CHECK(again.answer->headers == answer.headers);
    CHECK(again.answer->headers.size() == 11);
    CHECK(again.answer->body == answer.body);
    CHECK(again.answer->body.size() == 27);
  }
  // A key differing in one byte is another key.
  CHECK(claim(*store, claim_of(std::string("\xd6\xa7\xb8\xb6-\xfe-7", 8), "m-3")).state == State::claimed);
}

STORE_CASE("store idempotency: settled without an answer, the key is released and the next claim holds it",
           "[store][idempotency]") {
  auto store = backend.open();
  REQUIRE(claim(*store, claim_of("K", "m-1")).state == State::claimed);
  settled(*store, "K", "m-1", std::nullopt);
  const IdempotencyClaimResult next = claim(*store, claim_of("K", "m-2", t0 + 1s));
  CHECK(next.state == State::claimed);
  CHECK(next.holder == "m-2");
  // And it is m-2's now: m-1 asking again waits for it.
  const IdempotencyClaimResult old = claim(*store, claim_of("K", "m-1", t0 + 2s));
  CHECK(old.state == State::pending);
  CHECK(old.holder == "m-2");
}

STORE_CASE("store idempotency: an answer whose ttl has passed is claimed again", "[store][idempotency]") {
  auto store = backend.open();
  REQUIRE(claim(*store, claim_of("K", "m-1", t0, 1min)).state == State::claimed);
  settled(*store, "K", "m-1", answer_of("m-1"));
  CHECK(claim(*store, claim_of("K", "m-2", t0 + 1min - 1us)).state == State::answered);
  // expires_at is the first moment the answer is no longer given.
  const IdempotencyClaimResult after = claim(*store, claim_of("K", "m-3", t0 + 1min));
  CHECK(after.state == State::claimed);
  CHECK(after.holder == "m-3");
  CHECK_FALSE(after.answer);
  // The new claim is unanswered: nothing of the old answer is left with it.
  const IdempotencyClaimResult pending = claim(*store, claim_of("K", "m-4", t0 + 1min + 1s));
  CHECK(pending.state == State::pending);
  CHECK(pending.holder == "m-3");
}

STORE_CASE("store idempotency: an unanswered claim older than its lease is taken over", "[store][idempotency]") {
  auto store = backend.open();
  REQUIRE(claim(*store, claim_of("K", "m-1", t0, 1h, 30s)).state == State::claimed);
  CHECK(claim(*store, claim_of("K", "m-2", t0 + 30s - 1us, 1h, 30s)).state == State::pending);
  // The same message claiming again (a retry of the run that holds it) keeps it.
  CHECK(claim(*store, claim_of("K", "m-1", t0 + 10s, 1h, 30s)).state == State::claimed);
  // That renewed the lease from t0 + 10s.
  CHECK(claim(*store, claim_of("K", "m-2", t0 + 39s, 1h, 30s)).state == State::pending);
  const IdempotencyClaimResult taken = claim(*store, claim_of("K", "m-2", t0 + 40s, 1h, 30s));
  CHECK(taken.state == State::claimed);
  CHECK(taken.holder == "m-2");
  // The dead run's settle comes too late: the key is m-2's.
  settled(*store, "K", "m-1", answer_of("m-1"));
  const IdempotencyClaimResult after = claim(*store, claim_of("K", "m-3", t0 + 41s, 1h, 30s));
  CHECK(after.state == State::pending);
  CHECK(after.holder == "m-2");
}

STORE_CASE("store idempotency: a settle by a message that does not hold the claim changes nothing",
           "[store][idempotency]") {
  auto store = backend.open();
  REQUIRE(claim(*store, claim_of("K", "m-1")).state == State::claimed);
  settled(*store, "K", "m-other", std::nullopt);  // no release
  CHECK(claim(*store, claim_of("K", "m-2", t0 + 1s)).state == State::pending);
  settled(*store, "K", "m-other", answer_of("m-other"));  // no answer
  const IdempotencyClaimResult still = claim(*store, claim_of("K", "m-2", t0 + 2s));
  CHECK(still.state == State::pending);
  CHECK(still.holder == "m-1");

  // Once answered, a release by the holder cannot undo the answer either.
  settled(*store, "K", "m-1", answer_of("m-1"));
  settled(*store, "K", "m-1", std::nullopt);
  CHECK(claim(*store, claim_of("K", "m-2", t0 + 3s)).state == State::answered);
}

STORE_CASE("store idempotency: a settle stores its deliveries with the answer", "[store][idempotency]") {
  auto store = backend.open();
  REQUIRE(claim(*store, claim_of("K", "m-1")).state == State::claimed);
  auto stored = settle(*store, "K", "m-1", answer_of("m-1"), {delivery("his"), delivery("lab")});
  INFO((stored ? std::string() : stored.error().message));
  REQUIRE(stored.has_value());
  REQUIRE(stored->size() == 2);
  CHECK((*stored)[0].id > 0);
  CHECK((*stored)[1].id > (*stored)[0].id);

  DeliveryQuery q;
  q.with_requests = true;
  auto rows = store->deliveries(q);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].id == (*stored)[0].id);
  CHECK((*rows)[0].endpoint == "his");
  CHECK((*rows)[1].endpoint == "lab");
  CHECK((*rows)[1].request == "notify");
  CHECK(claim(*store, claim_of("K", "m-2", t0 + 1s)).state == State::answered);
}

LASTING_STORE_CASE("store idempotency: a settle whose deliveries cannot be stored keeps no answer either",
                   "[store][idempotency]") {
  auto store = backend.open();
  REQUIRE(claim(*store, claim_of("K", "m-1")).state == State::claimed);
  backend.sql_exec("ALTER TABLE deliveries RENAME TO deliveries_away");
  auto failed = settle(*store, "K", "m-1", answer_of("m-1"), {delivery("his")});
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().kind == ErrorKind::unavailable);
  CHECK_THAT(failed.error().message, Catch::Contains(backend.missing_table("deliveries")));
  backend.sql_exec("ALTER TABLE deliveries_away RENAME TO deliveries");

  // The claim is still m-1's and unanswered: the answer went with the deliveries.
  const IdempotencyClaimResult after = claim(*store, claim_of("K", "m-2", t0 + 1s));
  CHECK(after.state == State::pending);
  CHECK(after.holder == "m-1");
  CHECK(backend.sql_text("SELECT count(*) FROM deliveries") == "0");
  // And the store goes on: settled again, both land.
  auto stored = settle(*store, "K", "m-1", answer_of("m-1"), {delivery("his")});
  REQUIRE(stored.has_value());
  CHECK(claim(*store, claim_of("K", "m-2", t0 + 2s)).state == State::answered);
  CHECK(backend.sql_text("SELECT count(*) FROM deliveries") == "1");
}

LASTING_STORE_CASE("store idempotency: claims and answers outlive the store", "[store][idempotency]") {
  {
    auto store = backend.open();
    REQUIRE(claim(*store, claim_of("answered", "m-1")).state == State::claimed);
    settled(*store, "answered", "m-1", answer_of("m-1"));
    REQUIRE(claim(*store, claim_of("open", "m-2")).state == State::claimed);
  }
  auto store = backend.open();
  const IdempotencyClaimResult answered = claim(*store, claim_of("answered", "m-3", t0 + 1s));
  CHECK(answered.state == State::answered);
  REQUIRE(answered.answer);
  CHECK(answered.answer->body == answer_of("m-1").body);
  CHECK(claim(*store, claim_of("open", "m-4", t0 + 1s)).state == State::pending);
}
