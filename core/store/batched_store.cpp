#include "core/store/batched_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "core/log.hpp"
#include "core/memory.hpp"
#include "core/thread_name.hpp"

namespace qiao {

namespace {

constexpr auto gather_window = std::chrono::milliseconds(20);
constexpr std::size_t gather_enough = 4096;
// How often an idle writer wakes: to measure free space or reconnect on a quiet gateway too, and
// to notice that a burst is over.
constexpr auto idle_tick = std::chrono::seconds(1);
// Payload bytes that must have passed through before an idle writer trims the heap: below that,
// what a quiet spell leaves behind is not worth a pass over every arena.
constexpr std::uint64_t trim_after_bytes = 16u << 20;
// A database that stays slow keeps intake waiting batch after batch: say so now and then, not each time.
constexpr auto pressure_log_interval = std::chrono::seconds(60);

std::uint64_t stored_bytes(const JournalEntry& entry) {
  return (entry.request ? entry.request->size() : 0) + entry.reply.size();
}

// Cuts the payloads to at most these many bytes and marks what it cut; returns whether it cut any.
bool cut_payloads(JournalEntry& entry, std::uint64_t request_limit, std::uint64_t reply_limit) {
  bool cut = false;
  if (entry.request && entry.request->size() > request_limit) {
    // A copy of the beginning, so that the queue does not keep the whole received body alive.
    entry.request = make_buffer(entry.request->substr(0, static_cast<std::size_t>(request_limit)));
    entry.request_truncated = cut = true;
  }
  if (entry.reply.size() > reply_limit) {
    entry.reply.resize(static_cast<std::size_t>(reply_limit));
    entry.reply.shrink_to_fit();
    entry.reply_truncated = cut = true;
  }
  return cut;
}

}  // namespace

BatchedStore::BatchedStore(std::string where, std::string_view waits_for, std::size_t queue_capacity,
                           const JournalLimits& limits)
    : limits_(limits), where_(std::move(where)), waits_for_(waits_for), queue_capacity_(queue_capacity) {}

// A derived store that forgot stop_writer() leaves a joinable thread here, which terminates the
// process: louder than a writer calling into a store half destroyed.
BatchedStore::~BatchedStore() = default;

void BatchedStore::start_writer() {
  // Opening drops nothing: the first pass comes retention_check after it.
  retention_due_ = std::chrono::steady_clock::now() + limits_.retention_check;
  writer_ = std::thread([this] {
    name_this_thread("qiao-journal");
    run_writer();
  });
}

void BatchedStore::stop_writer() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  writer_.join();
}

void BatchedStore::journal(JournalEntry entry) {
  entry.request_size = entry.request ? entry.request->size() : 0;
  entry.reply_size = entry.reply.size();
  entry.request_truncated = false;
  entry.reply_truncated = false;
  bytes_since_trim_.fetch_add(entry.request_size + entry.reply_size, std::memory_order_relaxed);

  const bool refusing = refusing_payloads_.load(std::memory_order_relaxed);
  const std::uint64_t request_limit =
      entry.rejected ? std::min(limits_.max_rejected_bytes, limits_.max_payload_bytes) : limits_.max_payload_bytes;
  bool cut = false;
  if (!entry.keep_payloads) cut_payloads(entry, 0, 0);  // the flow's choice, not a limit: not counted
  else if (refusing) cut = cut_payloads(entry, 0, 0);
  else cut = cut_payloads(entry, request_limit, limits_.max_payload_bytes);
  // A database slower than the gateway: entries go on queueing up to the capacity, but once the
  // queue holds max_queued_bytes of payloads the next ones wait without theirs, so a stalled
  // disk cannot grow the process without bound. Checked without the lock: concurrent workers
  // may overshoot by one entry each.
  std::uint64_t kept = stored_bytes(entry);
  const bool backlog = kept > 0 && queued_bytes_.load(std::memory_order_relaxed) + kept > limits_.max_queued_bytes;
  if (backlog) {
    cut_payloads(entry, 0, 0);
    kept = 0;
  }
  bool wake = false;
  {
    std::lock_guard lock(queue_mutex_);
    // Past the bound too: the message was admitted (journal_has_room) and is done; its row is kept.
    queue_.push_back(std::move(entry));
    queued_entries_.store(queue_.size(), std::memory_order_relaxed);
    ++accepted_;
    queued_bytes_.fetch_add(kept, std::memory_order_relaxed);
    // The first entry of a batch wakes the writer, which then gathers more for a moment; a
    // full batch cuts that moment short.
    wake = queue_.size() == 1 || queue_.size() == gather_enough;
  }
  if (backlog) skipped_backlog_.fetch_add(1, std::memory_order_relaxed);
  else if (cut) (refusing ? skipped_low_on_space_ : truncated_).fetch_add(1, std::memory_order_relaxed);
  if (wake) work_cv_.notify_one();
}

bool BatchedStore::journal_has_room() const {
  return queued_entries_.load(std::memory_order_relaxed) < queue_capacity_;
}

void BatchedStore::when_journal_has_room(std::function<void()> ready) {
  {
    std::lock_guard lock(queue_mutex_);
    if (queue_.size() >= queue_capacity_) {
      const auto now = std::chrono::steady_clock::now();
      if (now - pressure_logged_ >= pressure_log_interval) {
        pressure_logged_ = now;
        log::system().warn(
            "journal: {} entries wait to be written to '{}' (the bound is {}): intake waits for {} "
            "(qiao_journal_admission_waits_total)",
            queue_.size(), where_, queue_capacity_, waits_for_);
      }
      room_waiters_.push_back(std::move(ready));
      return;
    }
  }
  ready();
}

void BatchedStore::flush() {
  std::unique_lock lock(queue_mutex_);
  const std::uint64_t target = accepted_;
  ++flush_waiters_;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return processed_ >= target; });
  --flush_waiters_;
}

Expected<std::vector<std::string>> BatchedStore::enforce_retention() {
  std::unique_lock lock(queue_mutex_);
  const std::uint64_t asked = ++retention_asked_;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return retention_ran_ >= asked; });
  return retention_result_;
}

std::uint64_t BatchedStore::written() const { return written_.load(std::memory_order_relaxed); }

std::uint64_t BatchedStore::dropped() const { return dropped_write_failed_.load(std::memory_order_relaxed); }

std::string BatchedStore::last_write_error() const {
  std::lock_guard lock(queue_mutex_);
  return last_write_error_;
}

JournalStats BatchedStore::intake_stats() const {
  JournalStats s;
  s.written = written_.load(std::memory_order_relaxed);
  s.dropped_write_failed = dropped_write_failed_.load(std::memory_order_relaxed);
  s.truncated = truncated_.load(std::memory_order_relaxed);
  s.skipped_low_on_space = skipped_low_on_space_.load(std::memory_order_relaxed);
  s.skipped_backlog = skipped_backlog_.load(std::memory_order_relaxed);
  s.memory_trims = memory_trims_.load(std::memory_order_relaxed);
  s.commits = commits_.load(std::memory_order_relaxed);
  s.failed_writes = failed_writes_.load(std::memory_order_relaxed);
  s.low_on_space = refusing_payloads_.load(std::memory_order_relaxed);
  s.queue_bound = queue_capacity_;
  std::lock_guard lock(queue_mutex_);
  s.queued = queue_.size();
  return s;
}

void BatchedStore::add_queue_write(QueueWrite write) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_writes_.push_back(std::move(write));
  }
  work_cv_.notify_one();
}

void BatchedStore::enqueue(std::vector<Delivery> deliveries, DeliveriesStored done) {
  add_queue_write(QueueWrite::enqueue(std::move(deliveries), std::move(done)));
}

void BatchedStore::change(std::vector<DeliveryChange> changes, ChangesStored done) {
  add_queue_write(QueueWrite::change(std::move(changes), std::move(done)));
}

void BatchedStore::claim(IdempotencyClaim claim, IdempotencyClaimed done) {
  add_queue_write(QueueWrite::claim_key(std::move(claim), std::move(done)));
}

void BatchedStore::settle(IdempotencySettle settle, std::vector<Delivery> deliveries, DeliveriesStored done) {
  add_queue_write(QueueWrite::settle_key(std::move(settle), std::move(deliveries), std::move(done)));
}

void BatchedStore::trim_memory_after_burst() {
  if (bytes_since_trim_.load(std::memory_order_relaxed) < trim_after_bytes) return;
  bytes_since_trim_.store(0, std::memory_order_relaxed);
  // The allocator keeps freed memory in the process so that busy workers do not fault it in
  // again for every message; once a burst is over that memory only inflates RSS.
  memory::release_free_memory();
  memory_trims_.fetch_add(1, std::memory_order_relaxed);
}

Expected<std::vector<std::string>> BatchedStore::run_retention_pass() {
  retention_due_ = std::chrono::steady_clock::now() + limits_.retention_check;
  return retention_pass();
}

void BatchedStore::run_writer() {
  std::vector<JournalEntry> batch;
  std::vector<QueueWrite> writes;
  std::vector<std::function<void()>> room;
  std::unique_lock lock(queue_mutex_);
  for (;;) {
    if (!work_cv_.wait_for(lock, idle_tick, [&] {
          return !queue_.empty() || !queue_writes_.empty() || stopping_ || retention_asked_ > retention_ran_;
        })) {
      lock.unlock();
      between_batches(true);
      trim_memory_after_burst();
      if (std::chrono::steady_clock::now() >= retention_due_) static_cast<void>(run_retention_pass());
      lock.lock();
      continue;
    }
    if (retention_asked_ > retention_ran_) {
      // enforce_retention(): a pass now, between batches, on the writer's connection.
      const std::uint64_t asked = retention_asked_;
      lock.unlock();
      auto dropped = run_retention_pass();
      lock.lock();
      retention_result_ = std::move(dropped);
      retention_ran_ = asked;
      done_cv_.notify_all();
      continue;
    }
    if (queue_.empty() && queue_writes_.empty()) return;  // stopping, and everything queued has been written
    // Under load, gather for a moment before writing: one wake-up and one transaction per
    // batch rather than per message, which matters most on a machine with few cores. A queue
    // write has a sender waiting for it, so it goes at once; what arrives during that commit
    // makes the next batch (group commit).
    work_cv_.wait_for(lock, gather_window, [&] {
      return stopping_ || flush_waiters_ > 0 || queue_.size() >= gather_enough || !queue_writes_.empty();
    });
    batch.swap(queue_);
    queued_entries_.store(0, std::memory_order_relaxed);
    writes.swap(queue_writes_);
    room.swap(room_waiters_);
    const std::uint64_t batch_end = accepted_;
    lock.unlock();
    // The queue is empty again: intake that waited for room goes on while this batch is written.
    for (auto& ready : room) ready();
    room.clear();

    between_batches(false);
    std::string error;
    std::string queue_error;
    const std::size_t committed = write_batch(batch, writes, error, queue_error);
    // Counted before the senders hear of it, so a refused sender finds it in /metrics.
    if (!error.empty() || !queue_error.empty()) failed_writes_.fetch_add(1, std::memory_order_relaxed);
    written_.fetch_add(committed, std::memory_order_relaxed);
    dropped_write_failed_.fetch_add(batch.size() - committed, std::memory_order_relaxed);
    std::uint64_t batch_bytes = 0;
    for (const JournalEntry& entry : batch) batch_bytes += stored_bytes(entry);
    queued_bytes_.fetch_sub(batch_bytes, std::memory_order_relaxed);
    // Under steady load the two vectors keep their size and the queue never reallocates;
    // once batches shrink well below that, a burst is over and its memory goes back.
    if (batch.capacity() > 4096 && batch.size() < batch.capacity() / 4) std::vector<JournalEntry>().swap(batch);
    else batch.clear();
    answer_queue_writes(writes, queue_error);
    after_batch();
    // Under steady load the writer is never idle: the pass comes between batches when it is due.
    if (std::chrono::steady_clock::now() >= retention_due_) static_cast<void>(run_retention_pass());

    lock.lock();
    processed_ = batch_end;
    if (!error.empty()) last_write_error_ = std::move(error);
    done_cv_.notify_all();
  }
}

}  // namespace qiao
