// Durable enqueue throughput of the store: SENDERS senders, each queueing one delivery with a
// SIZE-byte request and queueing the next as soon as the store says the last is on disk (fsync'd),
// as an MLLP sender waiting for its AA does. Prints deliveries/s, commits/s (one fsync of the WAL
// each) and deliveries per commit. A benchmark, not a test.
//
//   store_queue_load DIR [-s SENDERS] [-d SECONDS] [-b SIZE]
//   store_queue_load postgres://USER@HOST/DB [-s SENDERS] [-d SECONDS] [-b SIZE]
//
// DIR must be on the disk under test (not tmpfs); the file is removed afterwards. A PostgreSQL
// database keeps the deliveries the run queued: give it a scratch database.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "core/store/postgres_store.hpp"
#include "core/store/sqlite_store.hpp"

using namespace qiao;

namespace {

struct Load {
  Store* store = nullptr;
  std::string request;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> stored{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<int> running{0};
};

void send_next(Load& load) {
  if (load.stopping.load()) {
    load.running.fetch_sub(1);
    return;
  }
  Delivery d;
  d.endpoint = "lis";
  d.order_key = "P" + std::to_string(load.stored.load() % 100);
  d.message_id = "bench";
  d.flow_id = "bench";
  d.request = load.request;
  d.created_at = d.next_attempt_at = std::chrono::system_clock::now();
  std::vector<Delivery> one;
  one.push_back(std::move(d));
  // The callback runs on the store's writer thread: queueing the next one from there is what a
  // sender does the moment it has its ACK.
  load.store->enqueue(std::move(one), [&load](Expected<std::vector<Delivery>> result) {
    (result ? load.stored : load.failed).fetch_add(1);
    send_next(load);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_queue_load DIR|postgres://… [-s SENDERS] [-d SECONDS] [-b SIZE]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  int senders = 64;
  int seconds = 10;
  std::size_t size = 1024;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "-s") senders = std::atoi(argv[i + 1]);
    else if (flag == "-d") seconds = std::atoi(argv[i + 1]);
    else if (flag == "-b") size = static_cast<std::size_t>(std::atoll(argv[i + 1]));
  }
  const std::string target = argv[1];
  const bool postgres = target.starts_with("postgres://") || target.starts_with("postgresql://");
  const std::string file = (dir / "store_queue_load.db").string();
  if (!postgres)
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
  Expected<std::unique_ptr<Store>> opened = Error{ErrorKind::internal, "not opened"};
  if (postgres) {
    auto pg = PostgresStore::open(target);
    if (pg) opened = std::unique_ptr<Store>(std::move(*pg));
    else opened = std::move(pg).error();
  } else {
    auto lite = SqliteStore::open(file);
    if (lite) opened = std::unique_ptr<Store>(std::move(*lite));
    else opened = std::move(lite).error();
  }
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  Load load;
  load.store = opened->get();
  load.request.assign(size, 'x');
  const auto commits_before = load.store->stats().commits;
  const auto start = std::chrono::steady_clock::now();
  load.running = senders;
  for (int i = 0; i < senders; ++i) send_next(load);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const std::uint64_t stored = load.stored.load();
  const auto commits = load.store->stats().commits - commits_before;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  load.stopping = true;
  while (load.running.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::printf(
      "senders %d, request %zu B, %d s: %.0f deliveries/s durable, %.0f commits/s (fsyncs), %.1f per commit, %llu "
      "failed\n",
      senders, size, seconds, static_cast<double>(stored) / elapsed, static_cast<double>(commits) / elapsed,
      commits ? static_cast<double>(stored) / static_cast<double>(commits) : 0.0,
      static_cast<unsigned long long>(load.failed.load()));
  opened->reset();
  if (!postgres)
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
  return load.failed.load() == 0 ? 0 : 1;
}
