// accept: stored — how a flow's source block reads it, and the stored form of a message that its
// inbound queue keeps until the flow runs (tests/integration/accept_stored_test.cpp runs it all
// against real peers).

#include <catch2/catch.hpp>

#include "codecs/json/register.hpp"
#include "core/delivery/request_bytes.hpp"
#include "core/delivery/stored_message.hpp"
#include "core/flow/accept.hpp"
#include "core/steps/core_steps.hpp"
#include "tests/unit/core/flow_harness.hpp"

using namespace qiao;

namespace {

const Plugins& accept_plugins() {
  static const Plugins plugins = [] {
    Plugins p;
    (void)register_core_steps(p);
    (void)json::register_plugins(p);
    flow_test::add_fake_source(p);
    return p;
  }();
  return plugins;
}

class StatusRenderer final : public ErrorRenderer {
 public:
  void render(const Error& error, Outcome& outcome) const override {
    outcome.status = error.kind == ErrorKind::unavailable ? 503 : 500;
    outcome.body = std::string(error_kind_name(error.kind)) + ": " + error.message;
  }
};
const StatusRenderer status_renderer;

struct AcceptHarness : flow_test::FlowHarness {
  explicit AcceptHarness(const std::string& accept)
      : FlowHarness(accept_plugins(), "{}\n",
                    "id: inbound\nsource:\n  fake: { name: a }\n  decode: json\n  accept: " + accept + "\nsteps: []\n",
                    status_renderer) {}
  const Flow* flow() const { return gen && !gen->flows().empty() ? gen->flows().front().get() : nullptr; }
};

}  // namespace

TEST_CASE("accept stored: reply, stored and the long form read as written", "[accept_stored]") {
  SECTION("reply is the default answer-after-running") {
    AcceptHarness h("reply");
    REQUIRE(h.diag.ok());
    REQUIRE(h.flow());
    CHECK(!h.flow()->accept_stored);
  }
  SECTION("stored, with the default parallelism") {
    AcceptHarness h("stored");
    REQUIRE(h.diag.ok());
    REQUIRE(h.flow());
    REQUIRE(h.flow()->accept_stored);
    CHECK(h.flow()->accept_stored->max_in_flight == 8);
  }
  SECTION("the long form") {
    AcceptHarness h(
        "{ mode: stored, order_by: 'body.patient', retry: { attempts: 3, backoff: 2s }, max_in_flight: 2 }");
    INFO(h.diag.text());
    REQUIRE(h.diag.ok());
    REQUIRE(h.flow());
    REQUIRE(h.flow()->accept_stored);
    CHECK(h.flow()->accept_stored->max_in_flight == 2);
  }
}

TEST_CASE("accept stored: mistakes are load errors that say what is wrong", "[accept_stored]") {
  const auto errors_of = [](const std::string& accept) {
    AcceptHarness h(accept);
    CHECK(!h.diag.ok());
    return h.diag.text();
  };
  CHECK_THAT(errors_of("later"), Catch::Contains("accept: expected reply or stored, not 'later'"));
  CHECK_THAT(errors_of("{ order_by: 'body.x' }"), Catch::Contains("need mode: stored"));
  CHECK_THAT(errors_of("{ mode: stored, max_in_flight: 0 }"), Catch::Contains("max_in_flight: expected 1..10000"));
  CHECK_THAT(errors_of("{ mode: stored, retry: { attempts: 0 } }"), Catch::Contains("attempts: expected 1..1000000"));
  CHECK_THAT(errors_of("{ mode: stored, when: now }"), Catch::Contains("when"));
  CHECK_THAT(errors_of("[stored]"), Catch::Contains("accept: expected reply, stored or a mapping"));
}

TEST_CASE("accept stored: without a store the sender is told so, not answered 202", "[accept_stored]") {
  AcceptHarness h("stored");
  REQUIRE(h.diag.ok());
  const Outcome outcome = h.run(R"({"patient":"P1"})");
  REQUIRE(outcome.error);
  CHECK(outcome.status == 503);
  CHECK_THAT(outcome.body, Catch::Contains("needs a store"));
}

TEST_CASE("accept stored: undecodable input is refused before anything is stored", "[accept_stored]") {
  AcceptHarness h("stored");
  REQUIRE(h.diag.ok());
  const Outcome outcome = h.run(R"({"patient":)");
  REQUIRE(outcome.error);
  CHECK(outcome.error->kind == ErrorKind::bad_input);
}

TEST_CASE("accept stored: a stored message comes back as it was received", "[accept_stored][request_bytes]") {
  Message msg;
  msg.id = "1a2b3c";
  msg.trace_id = "00f067aa0ba902b7";
  msg.received_at = std::chrono::system_clock::time_point(std::chrono::microseconds(1'764'825'600'123'456));
  msg.source.push_back("kind", Value("http"));
  msg.source.push_back("method", Value("POST"));
  msg.source.push_back("path", Value("/notes"));
  msg.headers.push_back("content-type", Value("application/json"));
  msg.raw = make_buffer(std::string("{\"amount\":12.50}\0\xff", 18));

  SECTION("raw bytes only: the flow's codec decodes them again") {
    auto back = decode_request(encode_request(stored_message(msg, Value())));
    REQUIRE(back);
    auto restored = restored_message(*back);
    REQUIRE(restored);
    CHECK(restored->id == msg.id);
    CHECK(restored->trace_id == msg.trace_id);
    CHECK(restored->received_at == msg.received_at);
    CHECK(restored->source == msg.source);
    CHECK(restored->headers == msg.headers);
    REQUIRE(restored->raw);
    CHECK(*restored->raw == *msg.raw);
    CHECK(restored->body.is_null());
    CHECK(restored->stored_on_arrival);
  }
  SECTION("a body the source decoded is kept with its types") {
    const Value body(Object{{"amount", Value(Decimal{"12.50"})}, {"note", Value("x")}});
    auto restored = restored_message(*decode_request(encode_request(stored_message(msg, body))));
    REQUIRE(restored);
    CHECK(restored->body == body);
  }
  SECTION("no raw bytes stays no raw bytes") {
    msg.raw = nullptr;
    auto restored = restored_message(*decode_request(encode_request(stored_message(msg, Value()))));
    REQUIRE(restored);
    CHECK(!restored->raw);
  }
}

TEST_CASE("accept stored: a request that is not a stored message is called damaged", "[accept_stored]") {
  CallRequest not_an_object;
  not_an_object.body = Value("text");
  auto a = restored_message(not_an_object);
  REQUIRE(!a);
  CHECK(a.error().kind == ErrorKind::internal);
  CHECK_THAT(a.error().message, Catch::Contains("damaged"));

  CallRequest no_id;
  no_id.body = Value(Object{{"trace_id", Value("t")}, {"received_at_us", Value(1)}});
  CHECK(!restored_message(no_id));

  CallRequest wrong_raw;
  wrong_raw.body =
      Value(Object{{"id", Value("m")}, {"trace_id", Value("t")}, {"received_at_us", Value(1)}, {"raw", Value(5)}});
  auto c = restored_message(wrong_raw);
  REQUIRE(!c);
  CHECK_THAT(c.error().message, Catch::Contains("raw bytes"));
}

TEST_CASE("accept stored: inbound queues are named after their flow", "[accept_stored]") {
  CHECK(inbound_queue("adt-in") == "flow:adt-in");
  CHECK(inbound_flow("flow:adt-in") == "adt-in");
  CHECK(inbound_flow("lis").empty());
  CHECK(inbound_flow("flowers").empty());
}
