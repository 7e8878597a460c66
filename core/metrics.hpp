#pragma once
// Counters for Prometheus (GET /metrics on the admin listener). Everything on the message path
// is a relaxed atomic; per-flow stats are created once per flow id and survive reloads.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/error.hpp"

namespace qiao {

class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> bounds_seconds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  void record(std::chrono::microseconds latency);
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, bounds_seconds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_us_{0};
  std::atomic<std::uint64_t> count_{0};
};

// "ok" plus one slot per ErrorKind.
inline constexpr std::size_t outcome_count = static_cast<std::size_t>(ErrorKind::internal) + 2;

class FlowStats {
 public:
  void record(const Error* error, std::chrono::microseconds latency);
  void record_error_text(const std::string& text);
  std::uint64_t count(const Error* error_kind_or_null_for_ok) const;
  std::uint64_t total() const;
  std::uint64_t errors() const;
  std::string last_error() const;

  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::uint64_t> idempotent_repeats{0};  // messages given an earlier message's answer again
  std::atomic<std::uint64_t> journal_key_errors{0};  // journal keys left out: the expression failed or gave no key
  LatencyHistogram latency;
  std::array<std::atomic<std::uint64_t>, outcome_count> outcomes{};

 private:
  mutable std::mutex last_error_mutex_;
  std::string last_error_;
};

// Events an endpoint sees that no message outcome shows, such as replies that matched no call
// (late ones included). One counter per endpoint name and event, kept for the life of the process
// so it survives reloads; /metrics shows qiao_endpoint_events_total{endpoint,event}. Look the
// counter up once (configuration time), then count with a relaxed add.
std::atomic<std::uint64_t>& endpoint_event_counter(const std::string& endpoint, const std::string& event);

class Store;
// Connections a listener refused or could not accept, by listener name ("http 0.0.0.0:8080",
// "admin") and reason (max_connections, max_connections_per_address, accept_failed); kept for the
// life of the process like the endpoint events; /metrics shows
// qiao_connections_refused_total{listener,reason}.
std::atomic<std::uint64_t>& listener_event_counter(const std::string& listener, const std::string& reason);

class DeliveryService;

class Metrics {
 public:
  FlowStats& flow(const std::string& id);
  // The journal whose counters /metrics shows; it must outlive this object. Call before serving.
  void show_journal(const Store* store) { journal_ = store; }
  // The persistent queues whose depths and counts /metrics shows; the same lifetime rule.
  void show_deliveries(const DeliveryService* deliveries) { deliveries_ = deliveries; }
  void count_reload(bool ok) { (ok ? reloads_ok_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed); }
  void count_escaped_exception() { escaped_exceptions_.fetch_add(1, std::memory_order_relaxed); }
  void count_unrouted(int status);
  // Messages waiting for room in the journal's write queue before they are taken in.
  void journal_wait_begins() { journal_waiting_.fetch_add(1, std::memory_order_relaxed); }
  void journal_wait_ends(std::chrono::microseconds waited) {
    journal_waiting_.fetch_sub(1, std::memory_order_relaxed);
    journal_waits_.fetch_add(1, std::memory_order_relaxed);
    journal_wait_us_.fetch_add(static_cast<std::uint64_t>(waited.count()), std::memory_order_relaxed);
  }
  std::uint64_t journal_waits() const { return journal_waits_.load(std::memory_order_relaxed); }
  std::int64_t journal_waiting() const { return journal_waiting_.load(std::memory_order_relaxed); }
  std::uint64_t escaped_exceptions() const { return escaped_exceptions_.load(); }
  std::uint64_t reloads(bool ok) const { return (ok ? reloads_ok_ : reloads_failed_).load(); }
  std::int64_t in_flight() const;

  // Prometheus text exposition format, version 0.0.4.
  std::string render(std::uint64_t generation) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<FlowStats>> flows_;
  std::map<int, std::uint64_t> unrouted_;
  std::atomic<std::uint64_t> reloads_ok_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
  std::atomic<std::uint64_t> escaped_exceptions_{0};
  std::atomic<std::uint64_t> journal_waits_{0};
  std::atomic<std::int64_t> journal_waiting_{0};
  std::atomic<std::uint64_t> journal_wait_us_{0};
  const Store* journal_ = nullptr;
  const DeliveryService* deliveries_ = nullptr;
};

}  // namespace qiao
