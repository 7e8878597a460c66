#include "core/metrics.hpp"

#include <fmt/format.h>

#include <utility>

#include "core/delivery/delivery_service.hpp"
#include "core/log.hpp"
#include "core/store/store.hpp"

namespace qiao {

namespace {

std::size_t outcome_slot(const Error* error) { return error ? static_cast<std::size_t>(error->kind) + 1 : 0; }

std::string_view outcome_name(std::size_t slot) {
  return slot == 0 ? std::string_view("ok") : error_kind_name(static_cast<ErrorKind>(slot - 1));
}

// Label values must escape backslash, quote and newline.
std::string label_value(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// One unlabelled sample with its HELP and TYPE lines.
template <class Number>
void unlabelled(std::string& out, std::string_view name, std::string_view type, std::string_view help, Number value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

void render_journal(std::string& out, const JournalStats& s) {
  unlabelled(out, "qiao_store_commits_total", "counter",
             "Store transactions committed, each with one fsync (group commit).", s.commits);
  unlabelled(out, "qiao_store_write_failures_total", "counter",
             "Store transactions that failed: their journal entries are dropped and their queue writes refused.",
             s.failed_writes);
  unlabelled(out, "qiao_journal_written_total", "counter", "Journal entries written to the store.", s.written);
  out +=
      "# HELP qiao_journal_dropped_total Journal entries lost: their write failed (a full queue makes intake wait "
      "instead).\n";
  out += "# TYPE qiao_journal_dropped_total counter\n";
  out += fmt::format("qiao_journal_dropped_total{{reason=\"write_failed\"}} {}\n", s.dropped_write_failed);
  unlabelled(out, "qiao_journal_truncated_total", "counter",
             "Journal entries whose request or reply was cut to its size limit.", s.truncated);
  out +=
      "# HELP qiao_journal_payloads_skipped_total Journal entries stored without payloads: free space below "
      "journal.min_free_bytes, or journal.max_queued_bytes waiting to be written.\n";
  out += "# TYPE qiao_journal_payloads_skipped_total counter\n";
  out += fmt::format("qiao_journal_payloads_skipped_total{{reason=\"low_on_space\"}} {}\n", s.skipped_low_on_space);
  out += fmt::format("qiao_journal_payloads_skipped_total{{reason=\"backlog\"}} {}\n", s.skipped_backlog);
  unlabelled(out, "qiao_journal_low_on_space", "gauge",
             "1 while free space is below journal.min_free_bytes and payloads are not stored.", s.low_on_space ? 1 : 0);
  if (s.free_bytes)
    unlabelled(out, "qiao_journal_free_bytes", "gauge", "Free space where the store is, at the last check.",
               *s.free_bytes);
  unlabelled(out, "qiao_journal_queued", "gauge", "Journal entries waiting to be written.", s.queued);
  unlabelled(out, "qiao_journal_queue_bound", "gauge",
             "Journal entries waiting beyond which intake waits for the disk.", s.queue_bound);
  unlabelled(out, "qiao_journal_segments", "gauge", "Days of journal kept (SQLite files or PostgreSQL partitions).",
             s.segments);
  unlabelled(out, "qiao_journal_bytes", "gauge", "Size of the journal's days on disk, at the last retention check.",
             s.segment_bytes);
  unlabelled(out, "qiao_journal_segments_dropped_total", "counter",
             "Days of journal dropped by retention (journal.max_age, journal.max_bytes).", s.segments_dropped);
  unlabelled(out, "qiao_journal_memory_trims_total", "counter",
             "Times memory left by a burst was returned to the system.", s.memory_trims);
}

void render_deliveries(std::string& out, const std::vector<EndpointQueueStats>& queues) {
  const auto now = std::chrono::system_clock::now();
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const EndpointQueueStats& q : queues)
      out += fmt::format("{}{{endpoint=\"{}\"}} {}\n", name, label_value(q.queue.endpoint), value(q));
  };
  family("qiao_queue_depth", "gauge", "Deliveries queued for the endpoint, in flight included.",
         [](const EndpointQueueStats& q) { return static_cast<double>(q.queue.depth); });
  family("qiao_queue_in_flight", "gauge", "Delivery attempts under way.",
         [](const EndpointQueueStats& q) { return static_cast<double>(q.queue.in_flight); });
  family("qiao_queue_oldest_age_seconds", "gauge", "Age of the oldest queued delivery; 0 when none waits.",
         [&](const EndpointQueueStats& q) {
           return q.queue.oldest ? std::chrono::duration<double>(now - *q.queue.oldest).count() : 0.0;
         });
  family("qiao_queue_delivered_total", "counter", "Deliveries the endpoint took, since start.",
         [](const EndpointQueueStats& q) { return static_cast<double>(q.delivered); });
  family("qiao_queue_retries_total", "counter", "Failed delivery attempts that will be tried again, since start.",
         [](const EndpointQueueStats& q) { return static_cast<double>(q.retries); });
  family("qiao_queue_dead_letters", "gauge", "Dead letters kept for the endpoint.",
         [](const EndpointQueueStats& q) { return static_cast<double>(q.dead_letters); });
  family("qiao_queue_died_total", "counter", "Deliveries that became dead letters, since start.",
         [](const EndpointQueueStats& q) { return static_cast<double>(q.died); });
  family("qiao_queue_interrupted_total", "counter",
         "Attempts a restart cut short; the peer may have received those messages twice.",
         [](const EndpointQueueStats& q) { return static_cast<double>(q.interrupted); });
}

// Beside the per-endpoint families: what this node holds of queues it may share with other nodes.
void render_ownership(std::string& out, const QueueOwnershipStats& s) {
  out +=
      "# HELP qiao_queue_held Deliveries this node holds (queued here, in flight included); with a shared "
      "store, no other node attempts them.\n";
  out += "# TYPE qiao_queue_held gauge\n";
  out += fmt::format("qiao_queue_held {}\n", s.held);
  out += "# HELP qiao_queue_takeovers_total Nodes whose lease expired and whose queue this node took over.\n";
  out += "# TYPE qiao_queue_takeovers_total counter\n";
  out += fmt::format("qiao_queue_takeovers_total {}\n", s.takeovers);
  out += "# HELP qiao_queue_taken_over_total Deliveries this node took over from nodes whose lease expired.\n";
  out += "# TYPE qiao_queue_taken_over_total counter\n";
  out += fmt::format("qiao_queue_taken_over_total {}\n", s.taken_over);
  out += "# HELP qiao_queue_lease_lapses_total Times this node's own lease expired before it was renewed.\n";
  out += "# TYPE qiao_queue_lease_lapses_total counter\n";
  out += fmt::format("qiao_queue_lease_lapses_total {}\n", s.lease_lapses);
}

}  // namespace

void LatencyHistogram::record(std::chrono::microseconds latency) {
  const double seconds = static_cast<double>(latency.count()) / 1e6;
  std::size_t i = 0;
  while (i < bounds_seconds.size() && seconds > bounds_seconds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void LatencyHistogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_seconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, bounds_seconds[i], cumulative);
  }
  cumulative += buckets_.back().load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, cumulative);
  out += fmt::format("{}_sum{{{}}} {}\n", name, labels, static_cast<double>(sum_us_.load()) / 1e6);
  out += fmt::format("{}_count{{{}}} {}\n", name, labels, count_.load());
}

void FlowStats::record(const Error* error, std::chrono::microseconds elapsed) {
  outcomes[outcome_slot(error)].fetch_add(1, std::memory_order_relaxed);
  latency.record(elapsed);
}

void FlowStats::record_error_text(const std::string& text) {
  std::lock_guard lock(last_error_mutex_);
  last_error_ = text;
}

std::uint64_t FlowStats::count(const Error* error) const { return outcomes[outcome_slot(error)].load(); }

std::uint64_t FlowStats::total() const {
  std::uint64_t sum = 0;
  for (const auto& c : outcomes) sum += c.load(std::memory_order_relaxed);
  return sum;
}

std::uint64_t FlowStats::errors() const { return total() - outcomes[0].load(std::memory_order_relaxed); }

std::string FlowStats::last_error() const {
  std::lock_guard lock(last_error_mutex_);
  return last_error_;
}

FlowStats& Metrics::flow(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto& slot = flows_[id];
  if (!slot) slot = std::make_unique<FlowStats>();
  return *slot;
}

void Metrics::count_unrouted(int status) {
  std::lock_guard lock(mutex_);
  ++unrouted_[status];
}

std::int64_t Metrics::in_flight() const {
  std::lock_guard lock(mutex_);
  std::int64_t sum = 0;
  for (const auto& [id, stats] : flows_) sum += stats->in_flight.load(std::memory_order_relaxed);
  return sum;
}

namespace {

struct EndpointEvents {
  std::mutex mutex;
  // Node-based: the counters never move, so references handed out stay valid.
  std::map<std::pair<std::string, std::string>, std::atomic<std::uint64_t>> counters;
};

EndpointEvents& endpoint_events() {
  static EndpointEvents events;
  return events;
}

EndpointEvents& listener_events() {
  static EndpointEvents events;
  return events;
}

}  // namespace

std::atomic<std::uint64_t>& endpoint_event_counter(const std::string& endpoint, const std::string& event) {
  EndpointEvents& events = endpoint_events();
  std::lock_guard lock(events.mutex);
  return events.counters[{endpoint, event}];
}

std::atomic<std::uint64_t>& listener_event_counter(const std::string& listener, const std::string& reason) {
  EndpointEvents& events = listener_events();
  std::lock_guard lock(events.mutex);
  return events.counters[{listener, reason}];
}

std::string Metrics::render(std::uint64_t generation) const {
  std::string out;
  std::lock_guard lock(mutex_);
  out += "# HELP qiao_messages_total Messages processed, by flow and outcome.\n";
  out += "# TYPE qiao_messages_total counter\n";
  for (const auto& [id, stats] : flows_) {
    for (std::size_t slot = 0; slot < outcome_count; ++slot) {
      const auto n = stats->outcomes[slot].load(std::memory_order_relaxed);
      if (n == 0 && slot != 0) continue;
      out +=
          fmt::format("qiao_messages_total{{flow=\"{}\",outcome=\"{}\"}} {}\n", label_value(id), outcome_name(slot), n);
    }
  }
  out += "# HELP qiao_message_duration_seconds Time from receipt to reply, by flow.\n";
  out += "# TYPE qiao_message_duration_seconds histogram\n";
  for (const auto& [id, stats] : flows_) {
    stats->latency.render(out, "qiao_message_duration_seconds", fmt::format("flow=\"{}\"", label_value(id)));
  }
  out += "# HELP qiao_messages_in_flight Messages being processed now, by flow.\n";
  out += "# TYPE qiao_messages_in_flight gauge\n";
  for (const auto& [id, stats] : flows_) {
    out += fmt::format("qiao_messages_in_flight{{flow=\"{}\"}} {}\n", label_value(id), stats->in_flight.load());
  }
  out +=
      "# HELP qiao_idempotent_repeats_total Messages whose idempotency key had an answer, given again without running "
      "the flow, by flow.\n";
  out += "# TYPE qiao_idempotent_repeats_total counter\n";
  for (const auto& [id, stats] : flows_) {
    out += fmt::format("qiao_idempotent_repeats_total{{flow=\"{}\"}} {}\n", label_value(id),
                       stats->idempotent_repeats.load(std::memory_order_relaxed));
  }
  out +=
      "# HELP qiao_journal_key_errors_total Journal keys left out of a message's row: their Lua expression failed or "
      "gave no key, by flow.\n";
  out += "# TYPE qiao_journal_key_errors_total counter\n";
  for (const auto& [id, stats] : flows_) {
    out += fmt::format("qiao_journal_key_errors_total{{flow=\"{}\"}} {}\n", label_value(id),
                       stats->journal_key_errors.load(std::memory_order_relaxed));
  }
  out += "# HELP qiao_unrouted_requests_total Requests that matched no flow, by status answered.\n";
  out += "# TYPE qiao_unrouted_requests_total counter\n";
  for (const auto& [status, n] : unrouted_)
    out += fmt::format("qiao_unrouted_requests_total{{status=\"{}\"}} {}\n", status, n);
  {
    EndpointEvents& events = endpoint_events();
    std::lock_guard events_lock(events.mutex);
    out +=
        "# HELP qiao_endpoint_events_total What endpoints saw beside their calls (e.g. replies matching no call), by "
        "endpoint and event.\n";
    out += "# TYPE qiao_endpoint_events_total counter\n";
    for (const auto& [key, n] : events.counters)
      out += fmt::format("qiao_endpoint_events_total{{endpoint=\"{}\",event=\"{}\"}} {}\n", label_value(key.first),
                         label_value(key.second), n.load(std::memory_order_relaxed));
  }
  {
    EndpointEvents& events = listener_events();
    std::lock_guard events_lock(events.mutex);
    out +=
        "# HELP qiao_connections_refused_total Connections a listener closed at once or failed to accept, by listener "
        "and reason.\n";
    out += "# TYPE qiao_connections_refused_total counter\n";
    for (const auto& [key, n] : events.counters)
      out += fmt::format("qiao_connections_refused_total{{listener=\"{}\",reason=\"{}\"}} {}\n", label_value(key.first),
                         label_value(key.second), n.load(std::memory_order_relaxed));
  }
  out += "# HELP qiao_reloads_total Reloads of flows and endpoints, by result.\n";
  out += "# TYPE qiao_reloads_total counter\n";
  out += fmt::format("qiao_reloads_total{{result=\"ok\"}} {}\n", reloads_ok_.load());
  out += fmt::format("qiao_reloads_total{{result=\"failed\"}} {}\n", reloads_failed_.load());
  out += "# HELP qiao_generation The generation of flows now serving.\n";
  out += "# TYPE qiao_generation gauge\n";
  out += fmt::format("qiao_generation {}\n", generation);
  out += "# HELP qiao_escaped_exceptions_total Exceptions that escaped a coroutine (bugs).\n";
  out += "# TYPE qiao_escaped_exceptions_total counter\n";
  out += fmt::format("qiao_escaped_exceptions_total {}\n", escaped_exceptions_.load());
  out += "# HELP qiao_log_dropped_lines_total System log lines dropped because the log's queue was full.\n";
  out += "# TYPE qiao_log_dropped_lines_total counter\n";
  out += fmt::format("qiao_log_dropped_lines_total {}\n", log::dropped_lines());
  out +=
      "# HELP qiao_journal_admission_waits_total Messages that waited for room in the journal's write queue before "
      "they were taken in (back-pressure from a slow disk).\n";
  out += "# TYPE qiao_journal_admission_waits_total counter\n";
  out += fmt::format("qiao_journal_admission_waits_total {}\n", journal_waits_.load(std::memory_order_relaxed));
  out += "# HELP qiao_journal_admission_waiting Messages waiting now for room in the journal's write queue.\n";
  out += "# TYPE qiao_journal_admission_waiting gauge\n";
  out += fmt::format("qiao_journal_admission_waiting {}\n", journal_waiting_.load(std::memory_order_relaxed));
  out +=
      "# HELP qiao_journal_admission_wait_seconds_total Time messages spent waiting for room in the journal's write "
      "queue.\n";
  out += "# TYPE qiao_journal_admission_wait_seconds_total counter\n";
  out += fmt::format("qiao_journal_admission_wait_seconds_total {:.6f}\n",
                     static_cast<double>(journal_wait_us_.load(std::memory_order_relaxed)) / 1e6);
  if (journal_) render_journal(out, journal_->stats());
  if (deliveries_) {
    render_deliveries(out, deliveries_->stats());
    render_ownership(out, deliveries_->ownership());
  }
  return out;
}

}  // namespace qiao
