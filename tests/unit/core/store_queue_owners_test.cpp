// Which node delivers what when several gateway nodes share one store: claims, the keys a node
// holds, takeover after a lease expired, and the keys given back at a clean stop. Each "node" is a
// store of its own on one database, as two gateway processes would have. SQLite has one process
// per file: its cases check that the same calls mean "every queued row is yours" there.

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "core/store/postgres_store.hpp"
#include "core/store/store.hpp"
#include "tests/unit/core/store_backends.hpp"

using namespace std::chrono_literals;
using namespace qiao;
using Clock = std::chrono::system_clock;
using Kind = DeliveryChange::Kind;

namespace {

const Clock::time_point t0{std::chrono::microseconds(1'700'000'000'123'456)};

Delivery make(std::string key, std::string message = "") {
  Delivery d;
  d.endpoint = "lis";
  d.order_key = std::move(key);
  d.message_id = message.empty() ? "msg-" + d.order_key : std::move(message);
  d.flow_id = "adt";
  d.request = "request of " + d.message_id;
  d.retry.attempts = 3;
  d.retry.jitter = false;
  d.created_at = t0;
  d.next_attempt_at = t0;
  return d;
}

std::vector<Delivery> enqueue(Store& store, std::vector<Delivery> deliveries) {
  std::promise<Expected<std::vector<Delivery>>> promise;
  auto future = promise.get_future();
  store.enqueue(std::move(deliveries),
                [&promise](Expected<std::vector<Delivery>> stored) { promise.set_value(std::move(stored)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  auto stored = future.get();
  INFO((stored ? std::string() : stored.error().message));
  REQUIRE(stored.has_value());
  return std::move(stored).value();
}

DeliveryClaim claim(Store& store) {
  std::promise<Expected<DeliveryClaim>> promise;
  auto future = promise.get_future();
  store.claim_deliveries([&promise](Expected<DeliveryClaim> claimed) { promise.set_value(std::move(claimed)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  auto claimed = future.get();
  INFO((claimed ? std::string() : claimed.error().message));
  REQUIRE(claimed.has_value());
  return std::move(claimed).value();
}

void change(Store& store, std::vector<DeliveryChange> changes) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  store.change(std::move(changes), [&promise](Status status) { promise.set_value(std::move(status)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  Status status = future.get();
  INFO((status ? std::string() : status.error().message));
  REQUIRE(status.has_value());
}

void release(Store& store) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  store.release_deliveries([&promise](Status status) { promise.set_value(std::move(status)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  Status status = future.get();
  INFO((status ? std::string() : status.error().message));
  REQUIRE(status.has_value());
}

DeliveryChange simple(Kind kind, std::int64_t id) {
  DeliveryChange c;
  c.kind = kind;
  c.id = id;
  c.at = t0 + 1s;
  c.next_attempt_at = t0 + 1s;
  c.total_attempt = 1;
  c.attempt = 1;
  c.outcome = kind == Kind::delivered ? "ok" : "upstream";
  return c;
}

std::vector<std::int64_t> ids_of(const std::vector<Delivery>& rows) {
  std::vector<std::int64_t> ids;
  for (const Delivery& d : rows) ids.push_back(d.id);
  return ids;
}

std::vector<bool> held_of(const std::vector<Delivery>& rows) {
  std::vector<bool> held;
  for (const Delivery& d : rows) held.push_back(d.held);
  return held;
}

using Ids = std::vector<std::int64_t>;

std::unique_ptr<PostgresStore> node(qiao_test::PostgresBackend& backend, const std::string& name,
                                    std::chrono::milliseconds lease = 30s) {
  auto opened = PostgresStore::open(backend.url(), PostgresStore::default_queue_capacity, {}, QueueLease{name, lease});
  INFO((opened ? std::string() : opened.error().message));
  REQUIRE(opened.has_value());
  return std::move(opened).value();
}

}  // namespace

STORE_CASE("store queue owners: what this node queues is its own, and a claim hands nothing twice",
           "[store][queue_owners]") {
  auto store = backend.open();
  const auto stored = enqueue(*store, {make("P1"), make("P2"), make("P1", "msg-P1-b")});
  CHECK(held_of(stored) == std::vector<bool>{true, true, true});
  // The first claim (at start): SQLite hands back every queued row, which the service takes once
  // (by id); PostgreSQL only what this node did not get from enqueue, here nothing.
  const DeliveryClaim first = claim(*store);
  if (backend.name() == "postgres") {
    CHECK(first.deliveries.empty());
    REQUIRE(first.lease.has_value());
    CHECK(*first.lease == 30s);
    REQUIRE(first.claim_every.has_value());
    CHECK(*first.claim_every == 1s);
  } else {
    CHECK(ids_of(first.deliveries) == ids_of(stored));
    CHECK_FALSE(first.lease.has_value());
    CHECK_FALSE(first.claim_every.has_value());
  }
  CHECK_FALSE(first.lease_lapsed);
  CHECK(first.taken_over == 0);
  CHECK(claim(*store).deliveries.empty());
  // Reads say the same: this node holds its queued rows.
  DeliveryQuery queued;
  queued.state = DeliveryState::queued;
  auto rows = store->deliveries(queued);
  REQUIRE(rows.has_value());
  CHECK(held_of(*rows) == std::vector<bool>{true, true, true});
}

LASTING_STORE_CASE("store queue owners: a node that stopped cleanly leaves its queue to the next at once",
                   "[store][queue_owners]") {
  Ids ids;
  {
    auto first = backend.open();
    ids = ids_of(enqueue(*first, {make("P1"), make("P2"), make("P1", "msg-P1-b")}));
    release(*first);
  }
  auto next = backend.open();
  const DeliveryClaim claimed = claim(*next);
  CHECK(ids_of(claimed.deliveries) == ids);
  CHECK(held_of(claimed.deliveries) == std::vector<bool>{true, true, true});
  CHECK(claimed.taken_over == 0);
  CHECK(claimed.nodes_taken_over == 0);
  CHECK(claim(*next).deliveries.empty());
}

TEST_CASE("store queue owners: two nodes on one database deliver disjoint work, each key at one node",
          "[store][queue_owners][postgres]") {
  qiao_test::with_postgres([](qiao_test::PostgresBackend& backend) {
    auto a = node(backend, "node-a");
    auto b = node(backend, "node-b");
    CHECK(a->queue_node().starts_with("node-a/"));
    CHECK(a->queue_node() != node(backend, "node-a")->queue_node());  // a restart is another holder

    const auto at_a = enqueue(*a, {make("P1", "a1"), make("P2", "a2")});
    CHECK(held_of(at_a) == std::vector<bool>{true, true});
    // P1 is node a's: b's delivery of it waits for a; P3 is free, so b takes it.
    const auto at_b = enqueue(*b, {make("P1", "b1"), make("P3", "b3")});
    CHECK(held_of(at_b) == std::vector<bool>{false, true});

    CHECK(claim(*b).deliveries.empty());
    const DeliveryClaim to_a = claim(*a);
    CHECK(ids_of(to_a.deliveries) == Ids{at_b[0].id});
    CHECK(to_a.deliveries[0].held);
    CHECK(claim(*a).deliveries.empty());
    CHECK(claim(*b).deliveries.empty());

    // Every queued row has one holder, and each node's reads say which are its own.
    DeliveryQuery queued;
    queued.state = DeliveryState::queued;
    auto seen_by_a = a->deliveries(queued);
    auto seen_by_b = b->deliveries(queued);
    REQUIRE(seen_by_a.has_value());
    REQUIRE(seen_by_b.has_value());
    CHECK(held_of(*seen_by_a) == std::vector<bool>{true, true, true, false});
    CHECK(held_of(*seen_by_b) == std::vector<bool>{false, false, false, true});
    CHECK(backend.sql_text("SELECT count(*) FROM deliveries WHERE node IS NULL") == "0");
    CHECK(backend.sql_text("SELECT string_agg(encode(order_key, 'escape'), ',' ORDER BY order_key) FROM queue_keys "
                           "WHERE node = '" +
                           a->queue_node() + "'") == "P1,P2");
  });
}

TEST_CASE("store queue owners: a key's deliveries go out in order across nodes, and the key is free once done",
          "[store][queue_owners][postgres]") {
  qiao_test::with_postgres([](qiao_test::PostgresBackend& backend) {
    auto a = node(backend, "node-a");
    auto b = node(backend, "node-b");
    const auto first = enqueue(*a, {make("P1", "first")});
    // The sender, told that the first is stored, sends the second to the other node, and the
    // third to the first node again: a holds P1, and the third must not overtake the second,
    // which only a claim brings to a.
    const auto second = enqueue(*b, {make("P1", "second")});
    CHECK_FALSE(second[0].held);
    const auto third = enqueue(*a, {make("P1", "third")});
    CHECK_FALSE(third[0].held);
    const DeliveryClaim claimed = claim(*a);
    CHECK(ids_of(claimed.deliveries) == Ids{second[0].id, third[0].id});
    CHECK(first[0].id < second[0].id);

    // Node a delivers them; the key stays its own while any is queued, then goes.
    change(*a, {simple(Kind::delivered, first[0].id)});
    CHECK(backend.sql_text("SELECT count(*) FROM queue_keys") == "1");
    change(*a, {simple(Kind::delivered, second[0].id)});
    change(*a, {simple(Kind::dead, third[0].id)});
    CHECK(backend.sql_text("SELECT count(*) FROM queue_keys") == "0");
    // Free again: whichever node queues the key next holds it.
    const auto later = enqueue(*b, {make("P1", "later")});
    CHECK(later[0].held);
  });
}

TEST_CASE("store queue owners: a node silent past its lease has its queue taken over, and learns it",
          "[store][queue_owners][postgres]") {
  qiao_test::with_postgres([](qiao_test::PostgresBackend& backend) {
    auto b = node(backend, "node-b");
    auto c = node(backend, "node-c");
    const auto at_c = enqueue(*c, {make("P9", "c9")});
    auto a = node(backend, "node-a");
    const auto at_a = enqueue(*a, {make("P1", "a1"), make("P2", "a2"), make("P1", "a1b")});
    // An attempt under way when node a went silent: no outcome.
    DeliveryChange started = simple(Kind::started, at_a[0].id);
    change(*a, {started});
    CHECK(held_of(at_a) == std::vector<bool>{true, true, true});

    // While a's lease runs, nothing of a's is b's.
    CHECK(claim(*b).deliveries.empty());
    // a stops renewing (as a process killed with SIGKILL, or cut off) and its lease runs out: set
    // in the past here rather than waited for (the integration test waits for a real one). b's
    // next claim takes a's keys and queued rows, in id order, and marks the open attempt interrupted.
    backend.sql_exec(
        "UPDATE queue_nodes SET lease_until = (extract(epoch FROM clock_timestamp()) * 1000000)::bigint "
        "- 1 WHERE node = '" +
        a->queue_node() + "'");
    const DeliveryClaim taken = claim(*b);
    CHECK(ids_of(taken.deliveries) == ids_of(at_a));
    CHECK(taken.taken_over == 3);
    CHECK(taken.nodes_taken_over == 1);
    REQUIRE(taken.deliveries.size() == 3);
    CHECK(taken.deliveries[0].interrupted);
    CHECK_FALSE(taken.deliveries[1].interrupted);
    // c is alive: its delivery is not touched.
    CHECK(backend.sql_text("SELECT node FROM deliveries WHERE id = " + std::to_string(at_c[0].id)) == c->queue_node());
    CHECK(backend.sql_text("SELECT count(*) FROM queue_nodes WHERE node = '" + a->queue_node() + "'") == "0");
    CHECK(claim(*c).deliveries.empty());
    CHECK(claim(*b).taken_over == 0);

    // a comes back (the database was out of reach, the process stalled): its claim says its
    // lease lapsed, and hands it nothing b holds; what it queues for b's keys is b's.
    const DeliveryClaim back = claim(*a);
    CHECK(back.lease_lapsed);
    CHECK(back.deliveries.empty());
    const auto again = enqueue(*a, {make("P1", "a1c"), make("P5", "a5")});
    CHECK(held_of(again) == std::vector<bool>{false, true});
    CHECK_FALSE(claim(*a).lease_lapsed);
    CHECK(ids_of(claim(*b).deliveries) == Ids{again[0].id});
  });
}

TEST_CASE("store queue owners: a dead letter replayed on another node goes out once, from the key's holder",
          "[store][queue_owners][postgres]") {
  qiao_test::with_postgres([](qiao_test::PostgresBackend& backend) {
    auto a = node(backend, "node-a");
    auto b = node(backend, "node-b");
    const auto dead = enqueue(*a, {make("P1", "dead")});
    change(*a, {simple(Kind::started, dead[0].id), simple(Kind::dead, dead[0].id)});
    // Replayed on b while no node holds P1: held by nobody, then by whichever node claims first.
    DeliveryChange replay = simple(Kind::replay, dead[0].id);
    change(*b, {replay});
    DeliveryQuery q;
    q.ids = {dead[0].id};
    auto row = b->deliveries(q);
    REQUIRE(row.has_value());
    REQUIRE(row->size() == 1);
    CHECK((*row)[0].state == DeliveryState::queued);
    CHECK_FALSE((*row)[0].held);
    CHECK(ids_of(claim(*b).deliveries) == Ids{dead[0].id});
    CHECK(claim(*a).deliveries.empty());

    // Replayed while another node holds the key: that node claims it, and sends it before its
    // own newer one (key order is id order, as on one node).
    change(*b, {simple(Kind::started, dead[0].id), simple(Kind::dead, dead[0].id)});
    const auto held_by_a = enqueue(*a, {make("P1", "newer")});
    CHECK(held_by_a[0].held);
    change(*b, {replay});
    CHECK(claim(*b).deliveries.empty());
    CHECK(ids_of(claim(*a).deliveries) == Ids{dead[0].id});
  });
}
