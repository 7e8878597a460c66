#pragma once
// The store keeps the journal of messages and their outcome (search, replay, reconciliation),
// the persistent queues behind `send`, and the idempotency keys of flows that have them. SQLite
// is the default (embedded, nothing to set up); PostgreSQL implements the same interface for
// clusters.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/store/deliveries.hpp"
#include "core/store/idempotency.hpp"
#include "core/value.hpp"

namespace qiao {

// What the journal keeps of each payload, and when it keeps none (`journal:` in qiao.yaml). Any
// client can send bytes the gateway refuses, and a hospital's disk also holds its other systems,
// so every stored payload has a size bound and a full disk costs payloads, never the gateway.
struct JournalLimits {
  std::uint64_t max_payload_bytes = 1 << 20;         // a request or reply longer than this is cut
  std::uint64_t max_rejected_bytes = 4 << 10;        // the request of a rejected message (JournalEntry::rejected)
  std::uint64_t min_free_bytes = 1ull << 30;         // below this much free space, payloads are not stored
  std::chrono::milliseconds free_space_check{5000};  // how often the writer measures free space
  std::uint64_t max_queued_bytes = 64u << 20;        // payloads waiting to be written; beyond, entries wait without
  // Retention: whole days of the journal go once they are older than max_age, and the oldest go
  // while all of it is larger than max_bytes (never the day being written). Zero: no such bound.
  // Days are dropped whole (a SQLite file, a PostgreSQL partition), never row by row, so the
  // space comes back to the disk at once and pruning costs nothing while messages flow.
  // qiao.yaml's default max_age is 30d; a store opened without settings (tests, tools) keeps all.
  std::chrono::seconds max_age{0};
  std::uint64_t max_bytes = 0;
  std::chrono::milliseconds retention_check{60'000};  // how often the writer looks for days to drop
};

// A business key of a message (patient → P001), by which its journal row is found.
struct JournalKey {
  std::string name;
  std::string value;
  bool operator==(const JournalKey&) const = default;
};

// One step a message went through, in the order the steps began (a route before its case's
// steps, which are one deeper).
struct JournalStep {
  std::string step;           // its kind, and the endpoint of one that has one: "call his", "lua"
  int line = 0;               // where it is in the flow file
  int depth = 0;              // 0: the flow's own steps; 1: inside a route's case; …
  std::string outcome;        // "ok", "replied" (it gave the reply), or the error kind
  std::string detail;         // the error, or what a step that went on says of itself
  std::int64_t start_us = 0;  // since the message was received
  std::int64_t duration_us = 0;
  bool operator==(const JournalStep&) const = default;
};

struct JournalEntry {
  std::string message_id;
  std::string trace_id;
  std::string flow_id;  // "-" when no flow matched (unknown path …)
  std::chrono::system_clock::time_point received_at;
  std::int64_t latency_us = 0;
  std::string outcome;  // "ok" or an error kind name (error_kind_name)
  int status = 0;       // the status answered to the sender (HTTP status …)
  std::string source;   // e.g. "http 127.0.0.1:53122 POST /api/registration"
  std::string error;    // error text, empty when ok
  Buffer request;       // raw bytes received (may be null)
  std::string reply;    // raw bytes answered
  // Refused by the gateway for what it is (undecodable, unknown path, too large …): its request
  // is kept to JournalLimits::max_rejected_bytes. Set by whoever journals the entry.
  bool rejected = false;
  // False for a flow with `journal: metadata`: the row is stored without its payload bytes (empty,
  // marked truncated when there were any), their sizes kept. Set by whoever journals the entry.
  bool keep_payloads = true;
  // The flow's `journal: keys`, in its order, each name once; names and values hold no NUL byte.
  // Stored with the row and indexed by (name, value), whatever the level (but none).
  std::vector<JournalKey> keys;
  // The flow's steps as they ran, at every level but none; empty when no flow ran.
  std::vector<JournalStep> steps;
  // Set by the store: the sizes as received and answered, and whether the stored bytes are only
  // their beginning (a size limit, or no payload at all while the disk is low on space).
  std::uint64_t request_size = 0;
  std::uint64_t reply_size = 0;
  bool request_truncated = false;
  bool reply_truncated = false;
};

// Counters and state of the journal, for /metrics.
struct JournalStats {
  std::uint64_t written = 0;
  std::uint64_t dropped_write_failed = 0;   // queued, but SQLite failed to write them
  std::uint64_t truncated = 0;              // entries stored with a payload cut to its size limit
  std::uint64_t skipped_low_on_space = 0;   // entries stored without payloads: free space below the floor
  std::uint64_t skipped_backlog = 0;        // entries stored without payloads: max_queued_bytes waiting
  std::uint64_t queued = 0;                 // entries waiting for the writer now
  std::uint64_t queue_bound = 0;            // queued entries beyond which intake waits (journal_has_room)
  std::uint64_t memory_trims = 0;           // times the writer handed freed memory back after a burst
  std::uint64_t commits = 0;                // transactions committed (each one fsync of the WAL: group commit)
  std::uint64_t failed_writes = 0;          // batches the store could not write (disk full, database gone)
  std::uint64_t segments = 0;               // days of journal kept now (files, partitions)
  std::uint64_t segment_bytes = 0;          // their size on disk, at the last retention check
  std::uint64_t segments_dropped = 0;       // days dropped by retention since start
  bool low_on_space = false;                // free space is below JournalLimits::min_free_bytes now
  std::optional<std::uint64_t> free_bytes;  // at the last check; none for an in-memory store
};

// Who this process is among gateway nodes sharing one store, for the persistent queues: a node
// holds queue keys (an endpoint and an order key) under a lease it renews while it lives, and only
// the holder of a key attempts its deliveries (core/store/README.md, "Queues shared by nodes").
struct QueueLease {
  std::string node = "qiao";                   // node.name; the store adds a random id of this process
  std::chrono::milliseconds duration{30'000};  // store.lease: a silent holder's keys are taken after this
};

struct JournalQuery {
  std::optional<std::string> message_id;
  std::optional<std::string> flow_id;
  std::optional<std::string> outcome;
  std::optional<std::chrono::system_clock::time_point> since;
  std::optional<std::chrono::system_clock::time_point> until;
  // Rows having every one of these keys (name and value exactly); found through their index,
  // newest first, ties in the same microsecond by message id.
  std::vector<JournalKey> keys;
  std::size_t limit = 100;
};

class Store {
 public:
  virtual ~Store() = default;
  // Queues an entry for writing; never blocks the calling (worker) thread on disk I/O and never
  // drops the entry. Its payloads are cut to the store's JournalLimits first, on the calling thread.
  virtual void journal(JournalEntry entry) = 0;
  // Back-pressure: a disk slower than the gateway slows intake rather than losing rows. Whoever
  // takes in messages asks before each one and, while there is no room, waits for it (the engine
  // suspends the message's coroutine, never its thread), so sources stop reading and TCP and HTTP
  // push back on the senders. The queue may pass its bound by the messages already admitted.
  // True while the write queue is under its bound; cheap, from any thread.
  virtual bool journal_has_room() const = 0;
  // Calls `ready` once the queue is under its bound: at once on the calling thread when it already
  // is, else on the store's thread when the writer has taken the queue. `ready` must not block.
  virtual void when_journal_has_room(std::function<void()> ready) = 0;
  // Waits until everything queued so far is written (tests, shutdown). Not for workers.
  virtual void flush() = 0;
  // Runs a retention pass (JournalLimits::max_age, max_bytes) now on the store's thread and waits
  // for it; the writer also runs one every retention_check. Not for workers. Returns the days it
  // dropped, oldest first, as YYYY-MM-DD (UTC: the journal's days begin at midnight UTC).
  virtual Expected<std::vector<std::string>> enforce_retention() = 0;
  virtual Expected<std::vector<JournalEntry>> search(const JournalQuery& query) const = 0;
  virtual std::uint64_t written() const = 0;
  // Entries queued whose write failed (the journal never refuses one).
  virtual std::uint64_t dropped() const = 0;
  virtual JournalStats stats() const = 0;

  // Persistent queues. Writes happen on the store's thread, batched with the journal into one
  // transaction and one fsync (group commit); `done` runs there once they are durable.
  // Assigns ids in the order of the deliveries and hands them back.
  virtual void enqueue(std::vector<Delivery> deliveries, DeliveriesStored done) = 0;
  virtual void change(std::vector<DeliveryChange> changes, ChangesStored done) = 0;
  // Reads on the caller's thread (not a worker's: it may wait for the disk), oldest first.
  virtual Expected<std::vector<Delivery>> deliveries(const DeliveryQuery& query) const = 0;
  // Which queued deliveries this process attempts, when several processes may share the store.
  // Runs on the store's thread in its batches; `done` runs there. Renews this node's lease, takes
  // the keys of nodes whose lease expired and keys no node holds, and hands back the queued
  // deliveries of this node's keys that were not handed to it before (by enqueue or settle with
  // Delivery::held, by an earlier claim), oldest first, without their requests. The delivery
  // service claims at start and then as DeliveryClaim::claim_every says. SQLite: a process owns
  // its file, so the first claim hands back every queued row and later ones nothing.
  virtual void claim_deliveries(DeliveriesClaimed done) = 0;
  // At a clean stop with no attempt under way: gives this node's keys and lease up, so that
  // another node takes its queue at once rather than after the lease. Nothing to give in SQLite.
  virtual void release_deliveries(ChangesStored done) = 0;
  // Every delivery of one message with its attempts, oldest first: those still queued or dead,
  // and those delivered, which the journal keeps (with their day) after they left the queue.
  // On the caller's thread, like deliveries().
  virtual Expected<std::vector<Delivery>> message_deliveries(const std::string& message_id) const = 0;

  // Idempotency keys, written on the store's thread in its batches like the queues. A claim is
  // decided there, one at a time, against what is already stored: claimed, pending or answered.
  virtual void claim(IdempotencyClaim claim, IdempotencyClaimed done) = 0;
  // Settles a claim and stores the message's deliveries (maybe none) in one transaction, so
  // that a crash cannot keep the answer and lose the deliveries, or the other way round.
  virtual void settle(IdempotencySettle settle, std::vector<Delivery> deliveries, DeliveriesStored done) = 0;
};

// Opens the store named by a URL: "sqlite://var/qiao.db" (relative to `base_dir`) or
// "sqlite::memory:". Creates the file, its directory and the schema when missing.
// `lease` names this node to other nodes sharing a PostgreSQL store; SQLite has no use for it.
Expected<std::unique_ptr<Store>> open_store(const std::string& url, const std::string& base_dir,
                                            const JournalLimits& limits = {}, const QueueLease& lease = {});

}  // namespace qiao
