// Each step's outcome in the journal: the engine records every step a message went through (its
// kind and endpoint, line, depth inside routes, outcome, error, when it began and how long it
// took), the store keeps them with the row, and a search reads them back.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/store/journal_row_bytes.hpp"
#include "tests/unit/core/journal_test_support.hpp"
#include "tests/unit/core/store_backends.hpp"

using namespace qiao;
using journal_test::flow;
using journal_test::Gateway;

namespace {

// Lines 5… of the flow file (flow() writes four lines before these).
const char* stepped_flow = R"(steps:
  - lua: 'vars.kind = body.kind'
  - check: { required: [amount] }
  - route:
      - when: vars.kind == "refund"
        steps:
          - lua: 'vars.sign = -1'
        reply:
          status: 202
          lua: 'return { refund = true }'
  - lua: 'vars.sign = 1'
)";

std::vector<std::string> labels(const std::vector<JournalStep>& steps) {
  std::vector<std::string> out;
  for (const JournalStep& s : steps)
    out.push_back(std::to_string(s.depth) + " " + s.step + ":" + std::to_string(s.line) + " " + s.outcome);
  return out;
}

}  // namespace

TEST_CASE("journal steps: each step a message went through is in its row, in order, with its outcome", "[journal]") {
  Gateway gw({{"pay", flow("pay", stepped_flow)}});
  INFO(gw.diag.text());
  REQUIRE(gw.gen);
  gw.run({{"pay", R"({"kind":"charge","amount":"12.50"})"},
          {"pay", R"({"kind":"refund","amount":"12.50"})"},
          {"pay", R"({"kind":"charge"})"},
          {"pay", "{not json"}});

  const auto charge = gw.row("pay-0");
  REQUIRE(charge);
  CHECK(labels(charge->steps) == std::vector<std::string>{"0 lua:6 ok", "0 check:7 ok", "0 route:8 ok", "0 lua:15 ok"});
  std::int64_t previous_start = -1;
  for (const JournalStep& s : charge->steps) {
    CHECK(s.start_us >= previous_start);
    CHECK(s.duration_us >= 0);
    CHECK(s.start_us + s.duration_us <= charge->latency_us);
    CHECK(s.detail.empty());
    previous_start = s.start_us;
  }

  // The route's case runs its own steps one deeper, after the route began, and the route gives the
  // reply; the last lua never runs.
  CHECK(labels(gw.row("pay-1")->steps) ==
        std::vector<std::string>{"0 lua:6 ok", "0 check:7 ok", "0 route:8 replied", "1 lua:11 ok"});

  // A failed check stops the flow there and says why.
  const auto failed = gw.row("pay-2");
  CHECK(failed->outcome == "check_failed");
  CHECK(labels(failed->steps) == std::vector<std::string>{"0 lua:6 ok", "0 check:7 check_failed"});
  CHECK_THAT(failed->steps.back().detail, Catch::Contains("amount"));

  // Nothing ran for a message that could not be decoded.
  CHECK(gw.row("pay-3")->steps.empty());
}

TEST_CASE("journal steps: a flow at journal level metadata keeps its steps without its payloads", "[journal]") {
  Gateway gw({{"m", flow("m", "journal: metadata\nsteps:\n  - lua: 'vars.a = 1'\n")}});
  REQUIRE(gw.gen);
  gw.run({{"m", R"({"patientId":"P001"})"}});
  const auto row = gw.row("m-0");
  CHECK(row->request->empty());
  CHECK(labels(row->steps) == std::vector<std::string>{"0 lua:7 ok"});
}

TEST_CASE("journal steps: their bytes read back as written, a NUL in a text as a space", "[journal]") {
  std::vector<JournalStep> steps(2);
  steps[0] = {"call his", 12, 0, "timeout", std::string("no answer in 5s from ") + '\0' + "his", 35, 5'000'123};
  steps[1] = {"lua", 14, 1, "ok", "", 5'000'200, 17};
  std::vector<JournalStep> expected = steps;
  expected[0].detail = "no answer in 5s from  his";
  CHECK(decode_journal_steps(encode_journal_steps(steps)) == expected);
  CHECK(decode_journal_steps("").empty());
  CHECK(decode_journal_steps(std::string("lua\0"
                                         "1\0",
                                         6))
            .empty());  // cut short: no half step
}

STORE_CASE("journal steps: the store keeps a row's steps and a search reads them back", "[journal][store]") {
  auto store = backend.open();
  JournalEntry e;
  e.message_id = "m-1";
  e.trace_id = "t";
  e.flow_id = "registration";
  e.received_at = std::chrono::system_clock::time_point{std::chrono::microseconds(1'700'000'000'000'000)};
  e.outcome = "upstream";
  e.status = 502;
  e.source = "http";
  e.steps = {{"lua", 6, 0, "ok", "", 10, 20}, {"call his", 7, 0, "upstream", "HTTP 500 from his", 31, 4000}};
  store->journal(e);
  JournalEntry none = e;
  none.message_id = "m-2";
  none.steps.clear();
  store->journal(none);
  store->flush();
  JournalQuery q;
  q.message_id = "m-1";
  auto found = store->search(q);
  REQUIRE(found.has_value());
  REQUIRE(found->size() == 1);
  CHECK(found->front().steps == e.steps);
  q.message_id = "m-2";
  CHECK(store->search(q)->front().steps.empty());
}
