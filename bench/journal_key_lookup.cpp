// Business-key lookups in a large journal: fills a file store with ROWS messages through the
// store's own journal() (the writer's batches, as the gateway writes them), each with two keys
// (patient: one of ROWS/5 patients, so five messages each; order: unique), then times LOOKUPS
// searches by a random patient, as `/api/messages?key.patient=…` makes them. The rows are spread
// evenly over the last DAYS days (default 30, a month of retention), so the journal is that many
// day files and a patient's five messages are in five of them: a lookup walks every day. Prints
// the fill rate, the query plan and the lookup latency. A benchmark, not a test.
//
//   journal_key_lookup DIR [-n ROWS] [-q LOOKUPS] [--days DAYS] [--keep]
//
// DIR must be on the disk under test; the store is removed afterwards unless --keep (a second run
// with the same DIR and ROWS then only measures).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/store/sqlite_store.hpp"

using namespace qiao;
using clock_type = std::chrono::steady_clock;

namespace {

JournalEntry entry_for(std::uint64_t i, std::uint64_t patients, std::chrono::system_clock::time_point start,
                       std::chrono::microseconds spacing, const std::string& request) {
  JournalEntry e;
  e.message_id = "m" + std::to_string(i);
  e.trace_id = e.message_id;
  e.flow_id = i % 3 == 0 ? "registration" : "lab-result";
  e.received_at = start + spacing * static_cast<std::int64_t>(i);
  e.latency_us = 900;
  e.outcome = "ok";
  e.status = 200;
  e.source = "http 10.0.0.7:53122 POST /api/registration";
  e.request = make_buffer(request);
  e.reply = R"({"result":"ok"})";
  e.keys.push_back({"patient", "P" + std::to_string(i % patients)});
  e.keys.push_back({"order", "O" + std::to_string(i)});
  return e;
}

double ms(clock_type::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: journal_key_lookup DIR [-n ROWS] [-q LOOKUPS] [--days DAYS] [--keep]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::uint64_t rows = 1'000'000;
  int lookups = 1000;
  bool keep = false;
  int days = 30;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--keep") keep = true;
    else if (flag == "--days" && i + 1 < argc) days = std::max(1, std::atoi(argv[++i]));
    else if (flag == "-n" && i + 1 < argc) rows = std::strtoull(argv[++i], nullptr, 10);
    else if (flag == "-q" && i + 1 < argc) lookups = std::atoi(argv[++i]);
  }
  const std::uint64_t patients = std::max<std::uint64_t>(rows / 5, 1);
  const std::string stem = "journal_key_lookup_" + std::to_string(rows);
  const std::string file = (dir / (stem + ".db")).string();
  const std::filesystem::path day_dir = dir / (stem + "-journal");  // SqliteStore's days beside it
  const bool fill = !std::filesystem::exists(file);
  JournalLimits limits;
  limits.min_free_bytes = 0;
  auto opened = SqliteStore::open(file, SqliteStore::default_queue_capacity, limits);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  SqliteStore& store = **opened;
  if (fill) {
    const std::string request(200, 'x');
    const std::chrono::microseconds span = std::chrono::hours(24) * days;
    const auto spacing = std::max(std::chrono::microseconds(1), span / static_cast<std::int64_t>(rows));
    const auto start = std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now()) - span;
    const auto began = clock_type::now();
    for (std::uint64_t i = 0; i < rows; ++i) {
      store.journal(entry_for(i, patients, start, spacing, request));
      if (i % 50'000 == 49'999) store.flush();
    }
    store.flush();
    const double seconds = ms(clock_type::now() - began) / 1000;
    std::printf("filled %llu rows (2 keys each) in %.1f s: %.0f rows/s, %llu written, %llu dropped\n",
                static_cast<unsigned long long>(rows), seconds, static_cast<double>(rows) / seconds,
                static_cast<unsigned long long>(store.written()), static_cast<unsigned long long>(store.dropped()));
  }
  std::uintmax_t bytes = 0;
  int files = 0;
  for (const auto& day : std::filesystem::directory_iterator(day_dir))
    if (day.path().extension() == ".db") {
      bytes += std::filesystem::file_size(day.path());
      ++files;
    }
  std::printf("journal %s: %d day files, %.0f MB\n", day_dir.c_str(), files, static_cast<double>(bytes) / 1e6);

  JournalQuery query;
  query.keys.push_back({"patient", "P1"});
  query.limit = 100;
  auto plan = store.query_plan(query);
  std::printf("plan: %s\n", plan ? plan->c_str() : plan.error().message.c_str());

  std::mt19937_64 random(42);
  std::vector<double> times;
  std::size_t found = 0;
  for (int i = 0; i < lookups; ++i) {
    query.keys[0].value = "P" + std::to_string(random() % patients);
    const auto began = clock_type::now();
    auto result = store.search(query);
    times.push_back(ms(clock_type::now() - began));
    if (!result) {
      std::fprintf(stderr, "%s\n", result.error().message.c_str());
      return 1;
    }
    found += result->size();
  }
  std::sort(times.begin(), times.end());
  auto at = [&](double q) { return times[std::min(times.size() - 1, static_cast<std::size_t>(q * times.size()))]; };
  std::printf("%d lookups by patient among %llu rows: %.1f rows each, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", lookups,
              static_cast<unsigned long long>(rows), static_cast<double>(found) / lookups, at(0.5), at(0.99),
              times.back());
  opened->reset();
  if (!keep) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
    std::filesystem::remove_all(day_dir);
  }
  return 0;
}
