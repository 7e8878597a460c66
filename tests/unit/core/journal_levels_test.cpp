// A flow's journal: level (full, metadata, none) and qiao.yaml's journal.level default.

#include <catch2/catch.hpp>

#include "tests/unit/core/journal_test_support.hpp"

using namespace qiao;
using journal_test::flow;
using journal_test::Gateway;

TEST_CASE("journal levels: full keeps the bytes, metadata the row with sizes only, none no row", "[journal]") {
  Gateway gw({{"kept", flow("kept", "journal: full\n")},
              {"meta", flow("meta", "journal: { level: metadata }\n")},
              {"gone", flow("gone", "journal: none\n")}});
  INFO(gw.diag.text());
  REQUIRE(gw.gen);
  const std::string body = R"({"patientId":"P001"})";
  const auto outcomes = gw.run({{"kept", body}, {"meta", body}, {"gone", body}});
  for (const Outcome& o : outcomes) CHECK_FALSE(o.error);

  const auto kept = gw.row("kept-0");
  REQUIRE(kept);
  REQUIRE(kept->request);
  CHECK(*kept->request == body);
  CHECK(kept->reply == body);
  CHECK_FALSE(kept->request_truncated);

  const auto meta = gw.row("meta-1");
  REQUIRE(meta);
  CHECK(meta->flow_id == "meta");
  CHECK(meta->outcome == "ok");
  CHECK(meta->status == 200);
  REQUIRE(meta->request);
  CHECK(meta->request->empty());
  CHECK(meta->reply.empty());
  CHECK(meta->request_size == body.size());
  CHECK(meta->reply_size == body.size());
  CHECK(meta->request_truncated);
  CHECK(meta->reply_truncated);

  CHECK_FALSE(gw.row("gone-2"));
  CHECK(gw.rows().size() == 2);
  // A level is the flow's choice, not a limit the journal hit.
  CHECK(gw.store->stats().truncated == 0);
  CHECK(gw.store->stats().skipped_low_on_space == 0);
  // The metrics count every message, journaled or not.
  CHECK(gw.metrics.flow("gone").total() == 1);
  CHECK(gw.metrics.flow("meta").total() == 1);
}

TEST_CASE("journal levels: a failed message of a metadata flow keeps its error and sizes, not its bytes", "[journal]") {
  Gateway gw({{"meta", flow("meta", "journal: metadata\nsteps:\n  - check: { required: [orderNo] }\n")}});
  REQUIRE(gw.gen);
  const std::string body = R"({"amount":"12.50"})";
  const auto outcomes = gw.run({{"meta", body}});
  REQUIRE(outcomes[0].error);
  const auto row = gw.row("meta-0");
  REQUIRE(row);
  CHECK(row->outcome == "check_failed");
  CHECK(row->error.find("orderNo") != std::string::npos);
  CHECK(row->request->empty());
  CHECK(row->request_size == body.size());
  CHECK(row->reply.empty());
  CHECK(row->reply_size == outcomes[0].body.size());
}

TEST_CASE("journal levels: qiao.yaml's journal.level is the level of flows that do not choose one", "[journal]") {
  Gateway gw({{"quiet", flow("quiet")}, {"loud", flow("loud", "journal: full\n")}}, JournalLevel::metadata);
  INFO(gw.diag.text());
  REQUIRE(gw.gen);
  CHECK(gw.gen->flow("quiet")->journal.level == JournalLevel::metadata);
  CHECK(gw.gen->flow("loud")->journal.level == JournalLevel::full);
  gw.run({{"quiet", "{}"}, {"loud", "{}"}});
  CHECK(gw.row("quiet-0")->request->empty());
  CHECK(*gw.row("loud-1")->request == "{}");

  Gateway silent({{"quiet", flow("quiet")}}, JournalLevel::none);
  REQUIRE(silent.gen);
  silent.run({{"quiet", "{}"}});
  CHECK(silent.rows().empty());
}

TEST_CASE("journal levels: a wrong level or key is an error at its file, line and column", "[journal][config]") {
  Gateway scalar({{"flow", flow("bad", "journal: sometimes\n")}});
  CHECK_FALSE(scalar.gen);
  CHECK_THAT(scalar.diag.text(),
             Catch::Contains("flows/flow.yaml:5:10: journal: expected full, metadata or none, found 'sometimes'"));

  Gateway mapping({{"flow", flow("bad", "journal: { level: all, keep: forever }\n")}});
  CHECK_FALSE(mapping.gen);
  CHECK_THAT(mapping.diag.text(),
             Catch::Contains("flows/flow.yaml:5:19: journal: expected full, metadata or none, found 'all'"));
  CHECK_THAT(mapping.diag.text(), Catch::Contains("flows/flow.yaml:5:24: journal: unknown key 'keep'"));

  Gateway listed({{"flow", flow("bad", "journal: [full]\n")}});
  CHECK_FALSE(listed.gen);
  CHECK_THAT(listed.diag.text(),
             Catch::Contains("flows/flow.yaml:5:10: journal: expected full, metadata or none, found 'sequence'"));
}
