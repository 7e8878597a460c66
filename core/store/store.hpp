#pragma once
// The store keeps the journal of messages and their outcome (search, replay, reconciliation)
// and, later, the persistent queues behind `send` and idempotency keys. SQLite is the default
// (embedded, nothing to set up); PostgreSQL will implement the same interface for clusters.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao {

struct JournalEntry {
  std::string message_id;
  std::string trace_id;
  std::string flow_id;           // "-" when no flow matched (unknown path …)
  std::chrono::system_clock::time_point received_at;
  std::int64_t latency_us = 0;
  std::string outcome;           // "ok" or an error kind name (error_kind_name)
  int status = 0;                // the status answered to the sender (HTTP status …)
  std::string source;            // e.g. "http 127.0.0.1:53122 POST /api/registration"
  std::string error;             // error text, empty when ok
  Buffer request;                // raw bytes received (may be null)
  std::string reply;             // raw bytes answered
};

struct JournalQuery {
  std::optional<std::string> message_id;
  std::optional<std::string> flow_id;
  std::optional<std::string> outcome;
  std::optional<std::chrono::system_clock::time_point> since;
  std::optional<std::chrono::system_clock::time_point> until;
  std::size_t limit = 100;
};

class Store {
 public:
  virtual ~Store() = default;
  // Queues an entry for writing; never blocks the calling (worker) thread on disk I/O.
  // When the write queue is full the entry is dropped and counted (see dropped()), so an
  // overloaded disk slows nothing but the journal.
  virtual void journal(JournalEntry entry) = 0;
  // Waits until everything queued so far is written (tests, shutdown). Not for workers.
  virtual void flush() = 0;
  virtual Expected<std::vector<JournalEntry>> search(const JournalQuery& query) const = 0;
  virtual std::uint64_t written() const = 0;
  virtual std::uint64_t dropped() const = 0;
};

// Opens the store named by a URL: "sqlite://var/qiao.db" (relative to `base_dir`) or
// "sqlite::memory:". Creates the file, its directory and the schema when missing.
Expected<std::unique_ptr<Store>> open_store(const std::string& url, const std::string& base_dir);

}  // namespace qiao
