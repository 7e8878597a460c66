// The in-memory index of the persistent queues: which deliveries may start, in which order, and
// what it holds. DeliveryService trusts it for the FIFO of each order key and for an endpoint's
// max_in_flight, so each rule is checked at its edge.

#include "core/delivery/delivery_queues.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace qiao;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

namespace {

const Clock::time_point t0{std::chrono::microseconds(1'700'000'000'000'000)};

Delivery make(std::int64_t id, std::string endpoint = "his", std::string key = "", Clock::time_point due = t0,
              std::string request = "req") {
  Delivery d;
  d.id = id;
  d.endpoint = std::move(endpoint);
  d.order_key = std::move(key);
  d.message_id = "m" + std::to_string(id);
  d.request = std::move(request);
  d.created_at = t0 + std::chrono::seconds(id);
  d.next_attempt_at = due;
  return d;
}

// max_in_flight per endpoint; unknown endpoints take 8.
struct Limits {
  std::map<std::string, std::size_t> of;
  std::size_t operator()(const std::string& endpoint) const {
    auto it = of.find(endpoint);
    return it == of.end() ? 8 : it->second;
  }
};

std::vector<std::int64_t> start(DeliveryQueues& q, Clock::time_point now, const Limits& limits = {}) {
  std::vector<std::int64_t> ids;
  for (Delivery* d : q.start_due(now, limits)) ids.push_back(d->id);
  return ids;
}

using Ids = std::vector<std::int64_t>;

const QueueStats* stats_of(const std::vector<QueueStats>& all, const std::string& endpoint) {
  for (const QueueStats& s : all)
    if (s.endpoint == endpoint) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("delivery queues: one key is first in, first out, one at a time", "[delivery][queues]") {
  DeliveryQueues q;
  // Added out of order (a restart loads by id, a replay adds an old one): the queue is by id.
  q.add(make(3, "his", "P1"));
  q.add(make(1, "his", "P1"));
  q.add(make(2, "his", "P1"));
  CHECK(q.size() == 3);
  CHECK(start(q, t0) == Ids{1});
  CHECK(q.in_flight_count() == 1);
  // Its head is in flight: nothing more of the key, however long one waits.
  CHECK(start(q, t0 + 1h).empty());
  REQUIRE(q.in_flight(1) != nullptr);
  CHECK(q.in_flight(1)->message_id == "m1");
  CHECK(q.in_flight(2) == nullptr);
  q.finish(1, true);
  CHECK_FALSE(q.contains(1));
  CHECK(q.in_flight(1) == nullptr);
  CHECK(start(q, t0) == Ids{2});
  q.finish(2, true);
  CHECK(start(q, t0) == Ids{3});
  q.finish(3, true);
  CHECK(q.size() == 0);
  CHECK(q.in_flight_count() == 0);
  CHECK(start(q, t0 + 1h).empty());
  CHECK_FALSE(q.next_due());
}

TEST_CASE("delivery queues: different keys go in parallel, oldest due first", "[delivery][queues]") {
  DeliveryQueues q;
  q.add(make(1, "his", "P1", t0 + 2s));
  q.add(make(2, "his", "P2", t0));
  q.add(make(3, "his", "P3", t0 + 1s));
  q.add(make(4, "his", "P1", t0));
  q.add(make(5, "his", "P2", t0));
  // The head of each key, by due time: P2 (2, at t0), P3 (3, at t0+1s), P1 (1, at t0+2s).
  CHECK(start(q, t0 + 1s) == Ids{2, 3});
  CHECK(start(q, t0 + 2s) == Ids{1});
  CHECK(q.in_flight_count() == 3);
  q.finish(2, true);
  q.finish(1, true);
  CHECK(start(q, t0 + 2s) == Ids{4, 5});
  CHECK(q.size() == 3);
}

TEST_CASE("delivery queues: equal due times start in id order", "[delivery][queues]") {
  DeliveryQueues q;
  for (std::int64_t id : {7, 3, 9, 1, 5}) q.add(make(id, "his", "K" + std::to_string(id)));
  CHECK(start(q, t0) == Ids{1, 3, 5, 7, 9});
}

TEST_CASE("delivery queues: max_in_flight is per endpoint", "[delivery][queues]") {
  DeliveryQueues q;
  for (std::int64_t id = 1; id <= 10; ++id) q.add(make(id, id <= 5 ? "his" : "lab", "K" + std::to_string(id)));
  const Limits limits{{{"his", 2}, {"lab", 3}}};
  CHECK(start(q, t0, limits) == Ids{1, 2, 6, 7, 8});
  CHECK(start(q, t0, limits).empty());
  q.finish(7, true);
  CHECK(start(q, t0, limits) == Ids{9});
  // A failed attempt frees its slot as well.
  q.finish(1, false, t0 + 1s);
  CHECK(start(q, t0, limits) == Ids{3});
  const Limits one{{{"his", 1}, {"lab", 1}}};
  CHECK(start(q, t0 + 1h, one).empty());  // both are over a limit that went down with a reload
  const Limits more{{{"his", 8}, {"lab", 8}}};
  CHECK(start(q, t0 + 1h, more) == Ids{4, 5, 1, 10});  // 1's retry is due later than 4 and 5
}

TEST_CASE("delivery queues: max_in_flight 0 holds an endpoint's queue, the others go on", "[delivery][queues]") {
  DeliveryQueues q;
  q.add(make(1, "gone"));
  q.add(make(2, "gone", "other"));
  q.add(make(3, "his"));
  const Limits limits{{{"gone", 0}}};
  CHECK(start(q, t0 + 1h, limits) == Ids{3});
  CHECK(start(q, t0 + 2h, limits).empty());
  CHECK(q.size() == 3);
  // Once the endpoint is configured again (a reload), what waited goes.
  CHECK(start(q, t0 + 2h) == Ids{1, 2});
}

TEST_CASE("delivery queues: a failed attempt goes back to the head of its key, due at retry_at", "[delivery][queues]") {
  DeliveryQueues q;
  q.add(make(1, "his", "P1"));
  q.add(make(2, "his", "P1"));
  q.add(make(3, "his", "P2"));
  CHECK(start(q, t0) == Ids{1, 3});
  const auto retry_at = t0 + 30s;
  q.finish(1, false, retry_at);
  CHECK(q.contains(1));
  CHECK(q.in_flight(1) == nullptr);
  CHECK(q.size() == 3);
  // 2 waits behind 1 although it is due now: the key keeps its order through the retries.
  CHECK(start(q, t0 + 29s).empty());
  CHECK(start(q, retry_at - 1us).empty());
  REQUIRE(q.next_due());
  CHECK(*q.next_due() == retry_at);
  auto again = q.start_due(retry_at, Limits{});
  REQUIRE(again.size() == 1);
  CHECK(again[0]->id == 1);
  CHECK(again[0]->next_attempt_at == retry_at);
  CHECK(again[0]->request == "req");  // the request stays for the next attempt
  q.finish(1, true);
  CHECK(start(q, retry_at) == Ids{2});
}

TEST_CASE("delivery queues: next_due is the earliest head that is not in flight", "[delivery][queues]") {
  DeliveryQueues q;
  CHECK_FALSE(q.next_due());
  q.add(make(1, "his", "A", t0 + 10s));
  q.add(make(2, "his", "A", t0 + 1s));  // behind 1: its due time does not count
  q.add(make(3, "lab", "B", t0 + 5s));
  REQUIRE(q.next_due());
  CHECK(*q.next_due() == t0 + 5s);
  CHECK(start(q, t0 + 5s) == Ids{3});
  REQUIRE(q.next_due());
  CHECK(*q.next_due() == t0 + 10s);
  CHECK(start(q, t0 + 10s) == Ids{1});
  // Everything held is in flight or waits behind it: nothing a free slot could start.
  CHECK_FALSE(q.next_due());
  q.finish(1, true);
  REQUIRE(q.next_due());
  CHECK(*q.next_due() == t0 + 1s);
  q.finish(3, false, t0 + 20s);
  CHECK(*q.next_due() == t0 + 1s);
  CHECK(start(q, t0 + 1s) == Ids{2});
  CHECK(*q.next_due() == t0 + 20s);
}

TEST_CASE("delivery queues: next_due passes over an endpoint that has no free slot", "[delivery][queues]") {
  // DeliveryService arms its timer for next_due() and arms none for a time already past, which
  // it takes to mean that a finished attempt will start the next one. An endpoint that is held
  // (max_in_flight 0: no longer configured) or full has due heads in the past for as long as it
  // is; were they next_due, a retry of another endpoint would get no timer and wait for
  // unrelated traffic.
  DeliveryQueues q;
  q.add(make(1, "gone", "", t0));
  q.add(make(2, "full", "a", t0));
  q.add(make(3, "full", "b", t0));
  q.add(make(4, "his", "", t0));
  const Limits limits{{{"gone", 0}, {"full", 1}}};
  CHECK(start(q, t0, limits) == Ids{2, 4});
  q.finish(4, false, t0 + 30s);
  CHECK(start(q, t0 + 1s, limits).empty());
  REQUIRE(q.next_due());
  CHECK(*q.next_due() == t0 + 30s);

  // When the full endpoint's attempt ends, its next one is due at once.
  q.finish(2, true);
  REQUIRE(q.next_due());
  CHECK(*q.next_due() == t0);
  CHECK(start(q, t0 + 1s, limits) == Ids{3});
  CHECK(*q.next_due() == t0 + 30s);
  // A reload that configures the held endpoint again: start_due learns it, and so does next_due.
  CHECK(start(q, t0 + 1s, Limits{{{"full", 1}}}) == Ids{1});
  CHECK(*q.next_due() == t0 + 30s);
}

TEST_CASE("delivery queues: a replayed older delivery goes before newer ones of its key", "[delivery][queues]") {
  DeliveryQueues q;
  q.add(make(10, "his", "P1"));
  q.add(make(12, "his", "P1"));
  q.add(make(11, "his", "P2"));
  // 5 was a dead letter of P1, replayed: it becomes P1's head, and P1's slot is its own.
  q.add(make(5, "his", "P1", t0 + 1s));
  CHECK(start(q, t0) == Ids{11});
  CHECK(start(q, t0 + 1s) == Ids{5});
  q.finish(5, true);
  CHECK(start(q, t0 + 1s) == Ids{10});
  q.finish(10, true);
  CHECK(start(q, t0 + 1s) == Ids{12});
  // The same id twice is held once.
  q.add(make(12, "his", "P1"));
  q.add(make(11, "his", "P2"));
  CHECK(q.size() == 2);
}

TEST_CASE("delivery queues: a replay while a newer delivery of its key is in flight keeps id order",
          "[delivery][queues]") {
  DeliveryQueues q;
  q.add(make(9, "his", "P1"));
  CHECK(start(q, t0) == Ids{9});
  q.add(make(5, "his", "P1"));  // replayed during 9's attempt
  q.add(make(12, "his", "P1"));
  CHECK(start(q, t0).empty());  // the key is busy
  // 9 failed: 5 is older and goes first; 9 then, at its retry time, and 12 behind it.
  q.finish(9, false, t0 + 10s);
  q.add(make(7, "his", "P1"));  // and another replay lands in id order too
  CHECK(start(q, t0) == Ids{5});
  q.finish(5, true);
  CHECK(start(q, t0) == Ids{7});
  q.finish(7, true);
  CHECK(start(q, t0 + 9s).empty());
  CHECK(start(q, t0 + 10s) == Ids{9});
  q.finish(9, true);
  CHECK(start(q, t0 + 10s) == Ids{12});
}

TEST_CASE("delivery queues: requests beyond the memory budget are dropped, the deliveries kept", "[delivery][queues]") {
  DeliveryQueues q(10);
  q.add(make(1, "his", "a", t0, std::string(4, 'x')));
  q.add(make(2, "his", "b", t0, std::string(6, 'y')));  // exactly at the budget: kept
  q.add(make(3, "his", "c", t0, "z"));                  // beyond: dropped
  q.add(make(4, "his", "d", t0, std::string(20, 'w')));
  CHECK(q.size() == 4);
  std::map<std::int64_t, std::string> requests;
  for (Delivery* d : q.start_due(t0, Limits{})) requests[d->id] = d->request;
  CHECK(requests == std::map<std::int64_t, std::string>{{1, "xxxx"}, {2, "yyyyyy"}, {3, ""}, {4, ""}});
  // A retried delivery keeps its request, and keeps counting against the budget.
  q.finish(2, false, t0);
  q.add(make(5, "his", "e", t0, std::string(6, 'v')));
  // Delivered or dead: its bytes are free again. Dropped ones gave back nothing they had not taken.
  q.finish(1, true);
  q.finish(3, true);
  q.finish(4, true);
  q.add(make(6, "his", "f", t0, std::string(4, 'u')));
  q.add(make(7, "his", "g", t0, "t"));
  requests.clear();
  for (Delivery* d : q.start_due(t0, Limits{})) requests[d->id] = d->request;
  CHECK(requests == std::map<std::int64_t, std::string>{{2, "yyyyyy"}, {5, ""}, {6, "uuuu"}, {7, ""}});
}

TEST_CASE("delivery queues: stats count depth, in flight and the oldest per endpoint", "[delivery][queues]") {
  DeliveryQueues q;
  CHECK(q.stats().empty());
  q.add(make(4, "his", "P1"));
  q.add(make(2, "his", "P2"));
  q.add(make(3, "his", "P2"));
  q.add(make(6, "lab", "X"));
  CHECK(start(q, t0, Limits{{{"lab", 0}}}) == Ids{2, 4});
  auto stats = q.stats();
  REQUIRE(stats.size() == 2);
  const QueueStats* his = stats_of(stats, "his");
  const QueueStats* lab = stats_of(stats, "lab");
  REQUIRE(his);
  REQUIRE(lab);
  CHECK(his->depth == 3);  // in flight included
  CHECK(his->in_flight == 2);
  REQUIRE(his->oldest);
  CHECK(*his->oldest == t0 + 2s);  // the oldest is in flight: it counts
  CHECK(lab->depth == 1);
  CHECK(lab->in_flight == 0);
  REQUIRE(lab->oldest);
  CHECK(*lab->oldest == t0 + 6s);

  q.finish(2, true);
  stats = q.stats();
  his = stats_of(stats, "his");
  REQUIRE(his);
  CHECK(his->depth == 2);
  CHECK(his->in_flight == 1);
  CHECK(*his->oldest == t0 + 3s);  // waiting behind nothing now, older than 4 in flight

  q.finish(4, false, t0 + 1s);
  stats = q.stats();
  his = stats_of(stats, "his");
  CHECK(his->depth == 2);
  CHECK(his->in_flight == 0);
  CHECK(*his->oldest == t0 + 3s);

  CHECK(start(q, t0 + 1s) == Ids{3, 4, 6});
  q.finish(3, true);
  q.finish(4, true);
  q.finish(6, true);
  stats = q.stats();
  for (const QueueStats& s : stats) {
    INFO(s.endpoint);
    CHECK(s.depth == 0);
    CHECK(s.in_flight == 0);
    CHECK_FALSE(s.oldest);
  }
}

TEST_CASE("delivery queues: finish of an id not in flight changes nothing", "[delivery][queues]") {
  DeliveryQueues q;
  q.add(make(1));
  q.finish(1, true);   // waiting, not in flight
  q.finish(99, true);  // unknown
  CHECK(q.size() == 1);
  CHECK(start(q, t0) == Ids{1});
  q.finish(1, true);
  q.finish(1, true);  // twice
  CHECK(q.size() == 0);
  auto stats = q.stats();
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].depth == 0);
  CHECK(stats[0].in_flight == 0);
}

TEST_CASE("delivery queues: a thousand keys under one limit all arrive, each in its order", "[delivery][queues]") {
  DeliveryQueues q;
  std::int64_t id = 0;
  for (int round = 0; round < 5; ++round)
    for (int key = 0; key < 200; ++key) q.add(make(++id, "his", "K" + std::to_string(key)));
  const Limits limits{{{"his", 7}}};
  std::map<std::string, std::vector<std::int64_t>> order;
  std::set<std::int64_t> failed_once;
  std::size_t delivered = 0;
  int steps = 0;
  auto now = t0;
  while (q.size() > 0 && steps++ < 10'000) {
    std::vector<Delivery*> started = q.start_due(now, limits);
    REQUIRE(q.in_flight_count() <= 7);
    std::vector<std::int64_t> ids;
    for (Delivery* d : started) {
      order[d->order_key].push_back(d->id);
      ids.push_back(d->id);
    }
    // Every third delivery fails its first attempt and comes back a millisecond later.
    for (std::int64_t started_id : ids) {
      if (started_id % 3 == 0 && failed_once.insert(started_id).second) {
        q.finish(started_id, false, now + 1ms);
      } else {
        q.finish(started_id, true);
        ++delivered;
      }
    }
    now += 1ms;
  }
  CHECK(delivered == 1000);
  CHECK(failed_once.size() == 333);
  for (const auto& [key, ids] : order) {
    INFO(key);
    // In id order; a failed one repeats itself right away and nothing overtakes it.
    for (std::size_t i = 1; i < ids.size(); ++i) CHECK(ids[i - 1] <= ids[i]);
  }
}

TEST_CASE("delivery queues: letting go of all but some keeps those, and in-flight ones leave when they finish",
          "[delivery][queues]") {
  // A node whose lease on a shared store lapsed lets go of what another node may hold now.
  DeliveryQueues q;
  q.add(make(1, "his", "P1"));
  q.add(make(2, "his", "P1"));
  q.add(make(3, "his", "P2"));
  q.add(make(4, "lis", "P3"));
  CHECK(start(q, t0) == Ids{1, 3, 4});
  // Kept: 3 (in flight) and 2 (waiting); gone: 1 and 4 once they finish.
  CHECK(q.forget_all_but({2, 3}) == 2);
  CHECK(q.size() == 4);
  q.finish(1, false, t0);  // a retry, but another node holds it now
  CHECK_FALSE(q.contains(1));
  q.finish(4, false, t0);
  CHECK_FALSE(q.contains(4));
  CHECK(start(q, t0) == Ids{2});
  q.finish(3, false, t0);  // kept: back in its key, due again
  CHECK(q.contains(3));
  CHECK(start(q, t0) == Ids{3});
  q.finish(2, true);
  q.finish(3, false, t0);
  CHECK(q.size() == 1);
  // Waiting ones leave at once.
  CHECK(q.forget_all_but({}) == 1);
  CHECK(q.size() == 0);
  CHECK(start(q, t0 + 1h).empty());
}
