// The gateway drops the journal's old days on its own (journal.max_age in qiao.yaml): a day file
// from before is gone, its messages with it, while today's messages are journaled and found.

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "core/store/sqlite_journal_days.hpp"
#include "core/store/sqlite_store.hpp"
#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string config() { return server_config("retention-test") + "journal: { max_age: 2d, retention_check: 100ms }\n"; }

std::string registration_flow() {
  return "id: registration\n"
         "source:\n"
         "  http: { listen: \"127.0.0.1:0\", path: /registration, methods: [POST] }\n"
         "  decode: json\n"
         "journal: { keys: { patient: 'body.patientId' } }\n"
         "reply:\n"
         "  lua: 'return { ok = true }'\n";
}

}  // namespace

TEST_CASE("journal: the gateway drops days older than journal.max_age whole and keeps journaling today",
          "[integration][journal]") {
  TempDir dir;
  dir.write("qiao.yaml", config());
  dir.write("flows/registration.yaml", registration_flow());
  dir.write("endpoints.yaml", "{}\n");
  // A journal from ten days ago, as an earlier run of the gateway left it.
  const auto old_time = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 24h * 10;
  const std::string old_day = qiao::journal_day_name(qiao::journal_day_of(old_time));
  {
    fs::create_directories(dir.path() + "/var");
    auto store = qiao::SqliteStore::open(dir.path() + "/var/qiao.db");
    REQUIRE(store.has_value());
    qiao::JournalEntry old;
    old.message_id = "old-message";
    old.trace_id = "old-trace";
    old.flow_id = "registration";
    old.received_at = old_time;
    old.outcome = "ok";
    old.status = 200;
    old.source = "http 127.0.0.1:1 POST /registration";
    old.request = qiao::make_buffer(R"({"patientId":"P-OLD"})");
    old.keys = {{"patient", "P-OLD"}};
    (*store)->journal(old);
  }
  const fs::path old_file = fs::path(dir.path()) / "var" / "qiao-journal" / (old_day + ".db");
  REQUIRE(fs::exists(old_file));

  GatewayProcess gateway(dir);
  // The first pass comes retention_check after the start.
  REQUIRE(wait_until([&] { return gateway.metric("qiao_journal_segments_dropped_total") == 1.0; }, 20s));
  CHECK_FALSE(fs::exists(old_file));
  CHECK_THAT(read_file(dir.path() + "/var/log/system.log"),
             Catch::Contains("journal: dropped the day " + old_day) && Catch::Contains("older than journal.max_age"));
  CHECK(gateway.admin_request("GET", "/api/messages?id=old-message").body.find("old-message") == std::string::npos);

  HttpClient client(gateway.listener("http 127.0.0.1:0"));
  REQUIRE(client.request("POST", "/registration", R"({"patientId":"P-NEW"})").status == 200);
  std::string found;
  REQUIRE(wait_until(
      [&] {
        found = gateway.admin_request("GET", "/api/messages?key.patient=P-NEW").body;
        return found.find("\"registration\"") != std::string::npos;
      },
      10s));
  CHECK(gateway.metric("qiao_journal_segments") == 1.0);
  CHECK(gateway.metric("qiao_journal_segments_dropped_total") == 1.0);  // today's day is young
}
