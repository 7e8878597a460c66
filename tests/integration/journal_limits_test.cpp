// The journal under hostile input: a burst of large bodies the gateway rejects adds only their
// beginnings to the store and leaves no memory behind, and below the free-space floor the journal
// keeps metadata only and says so in the log and in /metrics.

#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
namespace fs = std::filesystem;

namespace {

// The admin API may require a token by default; a known one works either way.
const std::map<std::string, std::string> bearer{{"Authorization", "Bearer journal-test"}};

std::string config(const std::string& journal) {
  return "node: { name: journal-test, threads: 2 }\n"
         "admin: { listen: \"127.0.0.1:0\", token: journal-test }\n"
         "store: { url: \"sqlite://var/qiao.db\" }\n"
         "journal: " +
         journal +
         "\n"
         "flows: [ \"flows/*.yaml\" ]\n"
         "log: { dir: var/log, level: info, console: false }\n"
         "reload: { watch: false }\n";
}

// A JSON flow that echoes a name: anything that is not JSON is answered 400 by the gateway.
std::string echo_flow() {
  return "id: echo\n"
         "source:\n"
         "  http: { listen: \"127.0.0.1:0\", path: /echo, methods: [POST], max_body: 2MiB }\n"
         "  decode: json\n"
         "reply:\n"
         "  lua: 'return { name = body.name }'\n";
}

// The value of an unlabelled sample (or one whose labels are part of `name`) in /metrics.
std::optional<std::uint64_t> sample(const std::string& metrics, const std::string& name) {
  const std::string head = "\n" + name + " ";
  const auto at = ("\n" + metrics).find(head);
  if (at == std::string::npos) return std::nullopt;
  return std::stoull(metrics.substr(at + head.size() - 1));
}

std::string metrics_of(const GatewayProcess& gateway) {
  HttpResult r = http_request(gateway.admin(), "GET", "/metrics", "", bearer);
  REQUIRE(r.status == 200);
  return r.body;
}

std::uint64_t value_of(const GatewayProcess& gateway, const std::string& name) {
  const std::string metrics = metrics_of(gateway);
  INFO(metrics);
  const auto value = sample(metrics, name);
  REQUIRE(value.has_value());
  return *value;
}

// Waits until the journal has written `count` entries and holds none in its queue.
void wait_journal_idle(const GatewayProcess& gateway, std::uint64_t count) {
  std::string last;
  const bool idle = wait_until(
      [&] {
        last = metrics_of(gateway);
        return sample(last, "qiao_journal_written_total") >= count && sample(last, "qiao_journal_queued") == 0u;
      },
      std::chrono::seconds(60));
  INFO(last);
  REQUIRE(idle);
}

std::uint64_t rss_bytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:  41236 kB"
  }
  FAIL("no VmRSS in /proc/" << pid << "/status");
  return 0;
}

// The journal's days (var/qiao-journal/YYYY-MM-DD.db), oldest first.
std::vector<std::string> day_files(const TempDir& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(fs::path(dir.path()) / "var" / "qiao-journal", ec))
    if (file.path().extension() == ".db") files.push_back(file.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// A SQLite file's size on disk once its WAL is checkpointed into it and truncated: what it keeps,
// apart from the WAL's own bound (its checkpoints), which does not depend on payloads.
std::uintmax_t checkpointed_bytes(const std::string& file, const char* table) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(db, 10'000);
  // A connection learns that the file is in WAL mode when it first reads it; until then a
  // checkpoint is a no-op that succeeds.
  const std::string read = std::string("SELECT count(*) FROM ") + table;
  REQUIRE(sqlite3_exec(db, read.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  int log_frames = -1;
  int checkpointed = -1;
  const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &checkpointed);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
  REQUIRE(log_frames == 0);  // TRUNCATE leaves an empty WAL behind
  std::uintmax_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const auto size = fs::file_size(file + suffix, ec);
    if (!ec) total += size;
  }
  return total;
}

// The store's main file and the journal's days.
std::uintmax_t store_bytes(const TempDir& dir) {
  std::uintmax_t total = checkpointed_bytes(dir.path() + "/var/qiao.db", "deliveries");
  for (const std::string& day : day_files(dir)) total += checkpointed_bytes(day, "journal");
  return total;
}

// What the store holds for the newest entry: stored request length, original size, truncated mark.
struct StoredRequest {
  std::int64_t stored = -1;
  std::int64_t size = -1;
  int truncated = -1;
  int status = 0;
};

StoredRequest newest_request(const TempDir& dir) {
  sqlite3* db = nullptr;
  const std::vector<std::string> days = day_files(dir);
  REQUIRE_FALSE(days.empty());
  const std::string& file = days.back();
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT length(request), request_size, request_truncated, status FROM journal "
                             "ORDER BY received_at DESC LIMIT 1",
                             -1, &stmt, nullptr) == SQLITE_OK);
  StoredRequest out;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    out.stored = sqlite3_column_int64(stmt, 0);
    out.size = sqlite3_column_int64(stmt, 1);
    out.truncated = sqlite3_column_int(stmt, 2);
    out.status = sqlite3_column_int(stmt, 3);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("journal: 200 rejected 1 MB bodies add their beginnings to the store and no lasting memory",
          "[integration][journal]") {
  TempDir dir;
  dir.write("qiao.yaml", config("{ max_rejected_bytes: 4KiB, min_free_bytes: 0 }"));
  dir.write("flows/echo.yaml", echo_flow());
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  // Idle, after some ordinary traffic has touched every worker.
  constexpr int clients = 4;
  std::uint64_t journaled = 0;
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
      threads.emplace_back([&address] {
        HttpClient client(address);
        for (int i = 0; i < 25; ++i) client.request("POST", "/echo", R"({"name":"warm"})");
      });
    for (auto& t : threads) t.join();
    journaled += clients * 25;
  }
  wait_journal_idle(gateway, journaled);
  const std::uint64_t trims_before = value_of(gateway, "qiao_journal_memory_trims_total");
  const std::uint64_t rss_before = rss_bytes(gateway.pid());
  const std::uintmax_t store_before = store_bytes(dir);

  // The burst: every body is 1 MB of garbage (no JSON), answered 400 by the gateway itself. Four
  // clients at once: what a worker's own arena keeps after the trim grows with the bodies in
  // flight together (core/store/README.md), and this test is about what the journal keeps.
  constexpr int per_client = 50;
  constexpr std::size_t body_size = 1'000'000;
  std::vector<int> bad(clients, 0);
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
      threads.emplace_back([&, c] {
        std::mt19937 random(static_cast<unsigned>(c));
        std::string garbage(body_size, '\0');
        HttpClient client(address, std::chrono::seconds(30));
        for (int i = 0; i < per_client; ++i) {
          for (char& ch : garbage) ch = static_cast<char>('!' + random() % 90);
          garbage[0] = '<';  // never valid JSON
          if (client.request("POST", "/echo", garbage).status == 400) ++bad[c];
        }
      });
    for (auto& t : threads) t.join();
  }
  for (int c = 0; c < clients; ++c) CHECK(bad[c] == per_client);
  journaled += clients * per_client;
  wait_journal_idle(gateway, journaled);

  // 200 × 1 MB passed through: well under 5 MB reached the store.
  const std::uintmax_t store_after = store_bytes(dir);
  INFO("store grew from " << store_before << " to " << store_after << " bytes");
  CHECK(store_after - store_before < 5'000'000);
  const StoredRequest stored = newest_request(dir);
  CHECK(stored.status == 400);
  CHECK(stored.stored == 4096);
  CHECK(stored.size == static_cast<std::int64_t>(body_size));
  CHECK(stored.truncated == 1);
  const std::string listed = http_request(gateway.admin(), "GET", "/api/messages?limit=1", "", bearer).body;
  INFO(listed.substr(0, 300));
  CHECK(listed.find("\"requestSize\":" + std::to_string(body_size) + ",\"requestTruncated\":true,") !=
        std::string::npos);
  CHECK(value_of(gateway, "qiao_journal_truncated_total") == clients * per_client);
  CHECK(value_of(gateway, "qiao_journal_dropped_total{reason=\"write_failed\"}") == 0);

  // Once the journal has been idle for a moment its writer hands the burst's memory back.
  std::string last;
  const bool trimmed = wait_until(
      [&] {
        last = metrics_of(gateway);
        return sample(last, "qiao_journal_memory_trims_total") > trims_before;
      },
      std::chrono::seconds(30));
  INFO(last);
  REQUIRE(trimmed);
  const std::uint64_t rss_after = rss_bytes(gateway.pid());
  INFO("RSS " << rss_before / 1024 << " KiB before the burst, " << rss_after / 1024 << " KiB after");
  CHECK(rss_after < rss_before + (20u << 20));
}

TEST_CASE("journal: below the free-space floor payloads are skipped, said once in the log and in /metrics",
          "[integration][journal]") {
  TempDir dir;
  // 1 EiB: above the free space of any disk this test runs on.
  dir.write("qiao.yaml", config("{ min_free_bytes: 1152921504606846976, free_space_check: 100ms }"));
  dir.write("flows/echo.yaml", echo_flow());
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  HttpClient client(address);
  for (int i = 0; i < 3; ++i)
    REQUIRE(client.request("POST", "/echo", R"({"name":"kept without payload"})").status == 200);
  wait_journal_idle(gateway, 3);

  const std::string metrics = metrics_of(gateway);
  INFO(metrics);
  CHECK(sample(metrics, "qiao_journal_low_on_space") == 1u);
  CHECK(sample(metrics, "qiao_journal_payloads_skipped_total{reason=\"low_on_space\"}") == 3u);
  CHECK(sample(metrics, "qiao_journal_written_total") == 3u);
  CHECK(sample(metrics, "qiao_journal_free_bytes").has_value());

  const StoredRequest stored = newest_request(dir);
  CHECK(stored.status == 200);
  CHECK(stored.stored == 0);
  CHECK(stored.size == static_cast<std::int64_t>(std::string(R"({"name":"kept without payload"})").size()));
  CHECK(stored.truncated == 1);

  // Measured at open and again with each batch written (every 100 ms at most), logged once: when
  // the state began.
  const std::string line = "below journal.min_free_bytes (1152921504606846976): payloads are no longer stored";
  std::string log;
  const bool logged = wait_until([&] {
    log = read_file(dir.path() + "/var/log/system.log");
    return log.find(line) != std::string::npos;
  });
  INFO(log);
  REQUIRE(logged);
  CHECK(count_of(log, line) == 1);
}
