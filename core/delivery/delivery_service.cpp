#include "core/delivery/delivery_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <random>
#include <set>
#include <thread>

#include "core/delivery/request_bytes.hpp"
#include "core/delivery/stored_message.hpp"
#include "core/engine.hpp"
#include "core/flow/flow.hpp"
#include "core/generation.hpp"
#include "core/host.hpp"
#include "core/log.hpp"
#include "core/spawn.hpp"
#include "core/store/store.hpp"
#include "core/thread_name.hpp"

namespace qiao {

namespace asio = boost::asio;
using Clock = std::chrono::system_clock;

struct DeliveryService::Thread {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  asio::steady_timer timer{io};
  std::optional<Clock::time_point> timer_due;
  asio::steady_timer claim_timer{io};
  std::thread thread;
  std::mt19937_64 random{std::random_device{}()};
};

namespace {

// A retry waits at least this long, whatever the policy says: a peer that fails at once must
// not turn the gateway into a busy loop.
constexpr auto min_backoff = std::chrono::milliseconds(10);

// What a run from a flow's inbound queue renders is only journaled: its sender was answered
// when the message was stored.
class InboundRunRenderer final : public ErrorRenderer {
 public:
  void render(const Error& error, Outcome& outcome) const override {
    outcome.status = 0;
    outcome.content_type = "text/plain; charset=utf-8";
    outcome.body = error.message;
  }
};

asio::awaitable<std::optional<Error>> run_inbound(std::shared_ptr<const Generation> generation, Engine& engine,
                                                  std::string flow_id, CallRequest request) {
  const Flow* flow = generation->flow(flow_id);
  if (!flow) co_return make_error(ErrorKind::unavailable, "flow '" + flow_id + "' is not loaded");
  auto msg = restored_message(request);
  if (!msg) co_return std::move(msg).error();
  const InboundRunRenderer renderer;
  Outcome outcome = co_await engine.process(generation, *flow, std::move(*msg), renderer);
  if (!outcome.error) co_return std::nullopt;
  // A message the flow refuses for what it is (a failed check) fails the same way every time:
  // a dead letter at once, as a peer's refusal is.
  if (is_sender_fault(outcome.error->kind)) outcome.error->refused_by_peer = true;
  co_return std::move(outcome.error);
}

asio::awaitable<void> run_attempt(std::shared_ptr<const Generation> generation, Engine& engine,
                                  std::string endpoint_name, std::string request_bytes,
                                  std::function<void(std::optional<Error>)> done) {
  std::optional<Error> error;
  auto request = decode_request(request_bytes);
  if (!request) {
    error = std::move(request).error();
  } else if (const std::string_view flow_id = inbound_flow(endpoint_name); !flow_id.empty()) {
    error = co_await run_inbound(generation, engine, std::string(flow_id), std::move(*request));
  } else if (Endpoint* endpoint = generation->endpoint(endpoint_name); !endpoint) {
    error = make_error(ErrorKind::unavailable, "endpoint '" + endpoint_name + "' is not configured");
  } else {
    auto response = co_await endpoint->call(std::move(*request));
    if (!response) error = std::move(response).error();
  }
  done(std::move(error));
}

}  // namespace

DeliveryService::DeliveryService(Store& store, Host& host)
    : store_(store), host_(host), thread_(std::make_unique<Thread>()) {}

DeliveryService::~DeliveryService() { shutdown(); }

std::chrono::milliseconds DeliveryService::backoff(const RetryPolicy& retry, int failed_attempts, double jitter_draw) {
  using std::chrono::milliseconds;
  const auto cap = std::max(retry.max_backoff, min_backoff);
  milliseconds delay = std::max(retry.backoff, min_backoff);
  for (int i = 1; i < failed_attempts && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  if (retry.jitter) {
    const double draw = std::clamp(jitter_draw, 0.0, 1.0);
    delay = milliseconds(static_cast<milliseconds::rep>(static_cast<double>(delay.count()) * (0.5 + 0.5 * draw)));
  }
  return std::max(delay, min_backoff);
}

EndpointQueueStats& DeliveryService::counters(const std::string& endpoint) {
  EndpointQueueStats& c = counters_[endpoint];
  c.queue.endpoint = endpoint;
  return c;
}

Expected<DeliveryClaim> DeliveryService::wait_for_claim() {
  std::promise<Expected<DeliveryClaim>> promise;
  auto future = promise.get_future();
  store_.claim_deliveries([&promise](Expected<DeliveryClaim> claim) { promise.set_value(std::move(claim)); });
  return future.get();
}

std::vector<DeliveryChange> DeliveryService::take_claimed(DeliveryClaim& claim,
                                                          std::chrono::steady_clock::time_point asked) {
  // Two thirds of the lease: an attempt started just before the deadline has the last third to
  // finish before another node may take its delivery over.
  if (claim.lease) lease_deadline_ = asked + *claim.lease * 2 / 3;
  else lease_deadline_.reset();
  lease_wait_logged_ = false;
  claim_every_ = claim.claim_every;
  if (claim.lease_lapsed) {
    std::set<std::int64_t> keep;
    for (const Delivery& d : claim.deliveries) keep.insert(d.id);
    const std::size_t forgotten = queues_.forget_all_but(keep);
    ++ownership_.lease_lapses;
    log::system().error(
        "queues: this node's lease on the shared store expired before it was renewed (the database "
        "was out of reach, or the process stalled); it lets go of {} delivery(ies) another node may "
        "hold now, and holds {} from now on",
        forgotten, claim.deliveries.size());
  }
  ownership_.takeovers += claim.nodes_taken_over;
  ownership_.taken_over += claim.taken_over;
  std::vector<DeliveryChange> interrupted;
  for (Delivery& d : claim.deliveries) {
    // Held already: queued here, or its attempt under way here while the lease was renewed late.
    if (queues_.contains(d.id)) continue;
    if (d.interrupted) {
      // The request may have reached the peer before the gateway (or the node that held it)
      // stopped: it goes again (at least once), and the journal of attempts says this one may be
      // a duplicate.
      DeliveryChange change;
      change.kind = DeliveryChange::Kind::interrupted;
      change.id = d.id;
      change.at = Clock::now();
      change.error = "the gateway stopped during this attempt; the peer may have received it";
      interrupted.push_back(std::move(change));
      ++counters(d.endpoint).interrupted;
      log::system().warn(
          "delivery {} of message {} to '{}': attempt {} was interrupted (a restart, or the node that "
          "held it stopped) and is sent again; the peer may receive it twice",
          d.id, d.message_id, d.endpoint, d.total_attempts);
    }
    counters(d.endpoint);
    queues_.add(std::move(d));
  }
  return interrupted;
}

Status DeliveryService::start() {
  const auto asked = std::chrono::steady_clock::now();
  auto claim = wait_for_claim();
  if (!claim) return std::move(claim).error();
  const std::size_t resumed = claim->deliveries.size();
  DeliveryQuery dead;
  dead.state = DeliveryState::dead;
  dead.limit = 0;
  auto buried = store_.deliveries(dead);
  if (!buried) return std::move(buried).error();

  std::vector<DeliveryChange> interrupted;
  std::optional<std::chrono::milliseconds> claim_every;
  {
    std::lock_guard lock(mutex_);
    for (const Delivery& d : *buried) ++counters(d.endpoint).dead_letters;
    interrupted = take_claimed(*claim, asked);
    claim_every = claim_every_;
  }
  if (!interrupted.empty()) {
    if (auto recorded = wait_for_store(std::move(interrupted)); !recorded) return recorded;
  }
  if (resumed) log::system().info("resuming {} queued deliveries", resumed);
  thread_->thread = std::thread([this] {
    name_this_thread("qiao-delivery");
    thread_->io.run();
  });
  wake();
  if (claim_every) asio::post(thread_->io, [this, every = *claim_every] { schedule_claim(every); });
  return Ok{};
}

void DeliveryService::schedule_claim(std::chrono::milliseconds after) {
  thread_->claim_timer.expires_after(after);
  thread_->claim_timer.async_wait([this](boost::system::error_code ec) {
    if (!ec) claim_now();
  });
}

void DeliveryService::claim_soon() {
  asio::post(thread_->io, [this] { claim_now(); });
}

void DeliveryService::claim_now() {
  if (claims_stopped_) return;
  if (claim_running_) {
    claim_again_ = true;
    return;
  }
  claim_running_ = true;
  // The lease counts from before the store renewed it: never later than the other nodes see it.
  const auto asked = std::chrono::steady_clock::now();
  store_.claim_deliveries([this, asked](Expected<DeliveryClaim> claim) {
    asio::post(thread_->io, [this, asked, claim = std::move(claim)]() mutable { claimed(std::move(claim), asked); });
  });
}

void DeliveryService::claimed(Expected<DeliveryClaim> claim, std::chrono::steady_clock::time_point asked) {
  claim_running_ = false;
  std::optional<std::chrono::milliseconds> every;
  if (!claim) {
    if (!claim_failing_)
      log::system().error("queues: claiming deliveries failed, tried again until it works: {}", claim.error().message);
    claim_failing_ = true;
    std::lock_guard lock(mutex_);
    every = claim_every_;
  } else {
    if (claim_failing_) log::system().info("queues: claiming deliveries works again");
    claim_failing_ = false;
    std::vector<DeliveryChange> interrupted;
    {
      std::lock_guard lock(mutex_);
      interrupted = take_claimed(*claim, asked);
      every = claim_every_;
    }
    if (!interrupted.empty()) store_changes(std::move(interrupted));
  }
  if (claims_stopped_) return;
  if (claim_again_) {
    claim_again_ = false;
    claim_now();
  } else if (every) {
    schedule_claim(*every);
  } else if (!claim) {
    schedule_claim(std::chrono::seconds(1));
  }
  pump();
}

QueueOwnershipStats DeliveryService::ownership() const {
  std::lock_guard lock(mutex_);
  QueueOwnershipStats s = ownership_;
  s.held = queues_.size();
  return s;
}

void DeliveryService::wake() {
  asio::post(thread_->io, [this] { pump(); });
}

void DeliveryService::stop_attempts(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  if (!idle_cv_.wait_until(lock, deadline, [&] { return queues_.in_flight_count() == 0; })) {
    log::system().warn("{} deliveries still in flight at shutdown; they are sent again after the restart",
                       queues_.in_flight_count());
  }
}

void DeliveryService::shutdown() {
  if (!thread_ || !thread_->thread.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  // On the service thread, which alone asks for claims: no claim can follow the release and take
  // the keys back. With an attempt still under way the keys stay this node's until the lease
  // expires, so that no other node sends the same delivery while it may still be going out.
  std::promise<void> released;
  asio::post(thread_->io, [this, &released] {
    claims_stopped_ = true;
    thread_->claim_timer.cancel();
    std::size_t in_flight = 0;
    {
      std::lock_guard lock(mutex_);
      in_flight = queues_.in_flight_count();
    }
    if (in_flight > 0) {
      log::system().warn(
          "queues: {} attempt(s) still under way at shutdown: this node's queue keys pass to another "
          "node sharing the store only when its lease expires",
          in_flight);
      released.set_value();
      return;
    }
    store_.release_deliveries([&released](Status status) {
      if (!status) log::system().error("queues: giving the queue keys back failed: {}", status.error().message);
      released.set_value();
    });
  });
  released.get_future().wait();
  // The store calls back in order: once this empty write is done, every earlier one is too.
  (void)wait_for_store({});
  asio::post(thread_->io, [t = thread_.get()] {
    t->timer.cancel();
    t->claim_timer.cancel();
    t->guard.reset();
  });
  thread_->thread.join();
}

Status DeliveryService::wait_for_store(std::vector<DeliveryChange> changes) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  store_.change(std::move(changes), [&promise](Status status) { promise.set_value(std::move(status)); });
  return future.get();
}

asio::awaitable<Status> DeliveryService::enqueue(std::vector<Delivery> deliveries,
                                                 std::optional<IdempotencySettle> settle) {
  auto stored = co_await asio::async_initiate<decltype(asio::use_awaitable), void(Expected<std::vector<Delivery>>)>(
      [this, &deliveries, &settle](auto handler) {
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto queue = [this, shared, executor](Expected<std::vector<Delivery>> result) {
          if (result) {
            // The service learns of them before the flow goes on; it runs them when due.
            asio::post(thread_->io, [this, queued = *result]() mutable {
              bool unheld = false;
              {
                std::lock_guard lock(mutex_);
                for (Delivery& d : queued) {
                  counters(d.endpoint);
                  // Another node holds its key, or an older delivery of its key waits to be
                  // claimed: it comes through a claim, in its key's order.
                  if (!d.held) {
                    unheld = true;
                    continue;
                  }
                  queues_.add(std::move(d));
                }
              }
              if (unheld) claim_now();
              pump();
            });
          }
          asio::post(executor, [shared, result = std::move(result)]() mutable { (*shared)(std::move(result)); });
        };
        if (settle) store_.settle(std::move(*settle), std::move(deliveries), std::move(queue));
        else store_.enqueue(std::move(deliveries), std::move(queue));
      },
      asio::use_awaitable);
  if (!stored)
    co_return Error{ErrorKind::unavailable, "cannot store the message for delivery: " + stored.error().message};
  co_return Ok{};
}

void DeliveryService::pump() {
  auto generation = host_.generation();
  std::vector<DeliveryChange> changes;
  std::vector<std::int64_t> ids;
  {
    std::lock_guard lock(mutex_);
    const bool lease_lapsing = lease_deadline_ && std::chrono::steady_clock::now() >= *lease_deadline_;
    if (lease_lapsing && !lease_wait_logged_) {
      lease_wait_logged_ = true;
      log::system().warn(
          "queues: this node's lease on the shared store was not renewed in time; no delivery "
          "attempt starts until a claim renews it");
    }
    auto limit = [&](const std::string& endpoint) -> std::size_t {
      if (stopping_ || !generation || lease_lapsing) return 0;
      // A flow's inbound queue waits while a reload has taken the flow away, as an endpoint's
      // does; a flow that now answers after running still drains what it stored before.
      if (const std::string_view flow_id = inbound_flow(endpoint); !flow_id.empty()) {
        const Flow* flow = generation->flow(flow_id);
        if (!flow) return 0;
        return flow->accept_stored ? static_cast<std::size_t>(flow->accept_stored->max_in_flight) : 1;
      }
      const auto& specs = generation->endpoint_specs();
      auto it = specs.find(endpoint);
      return it == specs.end() ? 0 : it->second->common().max_in_flight;
    };
    const auto now = Clock::now();
    for (Delivery* d : queues_.start_due(now, limit)) {
      DeliveryChange change;
      change.kind = DeliveryChange::Kind::started;
      change.id = d->id;
      change.attempt = ++d->attempts;
      change.total_attempt = ++d->total_attempts;
      change.at = now;
      changes.push_back(std::move(change));
      ids.push_back(d->id);
    }
  }
  if (!ids.empty()) {
    // The attempt is on disk before its request goes out, so a crash in between is visible after
    // the restart as an attempt without an outcome.
    store_.change(std::move(changes), [this, ids = std::move(ids)](Status recorded) mutable {
      asio::post(thread_->io, [this, ids = std::move(ids), recorded = std::move(recorded)]() mutable {
        attempts_recorded(std::move(ids), std::move(recorded));
      });
    });
  }
  arm_timer();
}

void DeliveryService::arm_timer() {
  std::optional<Clock::time_point> due;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) due = queues_.next_due();
  }
  Thread& t = *thread_;
  if (!due) return;
  // A due time in the past means a free slot is missing, not time: a finished attempt pumps.
  const auto now = Clock::now();
  if (*due <= now) return;
  if (t.timer_due && *t.timer_due <= *due) return;
  t.timer_due = *due;
  t.timer.expires_after(*due - now);
  t.timer.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    thread_->timer_due.reset();
    pump();
  });
}

void DeliveryService::attempts_recorded(std::vector<std::int64_t> ids, Status recorded) {
  auto generation = host_.generation();
  for (std::int64_t id : ids) {
    std::string endpoint;
    std::string request;
    {
      std::lock_guard lock(mutex_);
      Delivery* d = queues_.in_flight(id);
      if (!d) continue;
      endpoint = d->endpoint;
      request = d->request;
    }
    if (!recorded) {
      finished(id, recorded.error());
      continue;
    }
    if (request.empty()) {
      // Left in the store to keep memory bounded: read back now, on this thread.
      DeliveryQuery query;
      query.ids = {id};
      query.with_requests = true;
      auto rows = store_.deliveries(query);
      if (!rows || rows->empty()) {
        finished(id, rows ? make_error(ErrorKind::internal, "the queued request is no longer in the store")
                          : std::move(rows).error());
        continue;
      }
      request = std::move(rows->front().request);
    }
    auto done = [this, id](std::optional<Error> error) {
      asio::post(thread_->io, [this, id, error = std::move(error)]() mutable { finished(id, std::move(error)); });
    };
    spawn(host_.next_worker(),
          run_attempt(generation, host_.engine(), std::move(endpoint), std::move(request), std::move(done)),
          "delivery attempt");
  }
}

void DeliveryService::finished(std::int64_t id, std::optional<Error> error) {
  DeliveryChange change;
  change.id = id;
  change.at = Clock::now();
  {
    std::lock_guard lock(mutex_);
    Delivery* d = queues_.in_flight(id);
    if (!d) return;
    EndpointQueueStats& c = counters(d->endpoint);
    change.total_attempt = d->total_attempts;
    if (!error) {
      change.kind = DeliveryChange::Kind::delivered;
      change.outcome = "ok";
      ++c.delivered;
      queues_.finish(id, true);
    } else {
      change.outcome = std::string(error_kind_name(error->kind));
      change.error = error->message;
      const bool refused = error->refused_by_peer || error->kind == ErrorKind::rejected;
      if (refused || d->attempts >= d->retry.attempts) {
        change.kind = DeliveryChange::Kind::dead;
        ++c.dead_letters;
        ++c.died;
        log::system().error("delivery {} of message {} to '{}' is a dead letter after {} attempt(s){}: {}", id,
                            d->message_id, d->endpoint, d->attempts, refused ? " (refused by the peer)" : "",
                            error->message);
        queues_.finish(id, true);
      } else {
        change.kind = DeliveryChange::Kind::retry_later;
        std::uniform_real_distribution<double> draw(0.0, 1.0);
        change.next_attempt_at = change.at + backoff(d->retry, d->attempts, draw(thread_->random));
        ++c.retries;
        log::system().warn(
            "delivery {} of message {} to '{}': attempt {} of {} failed, next in {} ms: {}", id, d->message_id,
            d->endpoint, d->attempts, d->retry.attempts,
            std::chrono::duration_cast<std::chrono::milliseconds>(change.next_attempt_at - change.at).count(),
            error->message);
        d->last_error = error->message;
        queues_.finish(id, false, change.next_attempt_at);
      }
    }
    if (queues_.in_flight_count() == 0) idle_cv_.notify_all();
  }
  store_changes({std::move(change)});
  pump();
}

void DeliveryService::store_changes(std::vector<DeliveryChange> changes) {
  // At least once: a lost outcome only means the delivery is attempted again after a restart.
  store_.change(std::move(changes), [](Status status) {
    if (!status) log::system().error("delivery queue: {}", status.error().message);
  });
}

std::vector<EndpointQueueStats> DeliveryService::stats() const {
  std::lock_guard lock(mutex_);
  std::vector<EndpointQueueStats> out;
  std::map<std::string, QueueStats> queues;
  for (QueueStats& q : queues_.stats()) queues[q.endpoint] = std::move(q);
  for (const auto& [endpoint, c] : counters_) {
    EndpointQueueStats s = c;
    if (auto it = queues.find(endpoint); it != queues.end()) s.queue = it->second;
    s.queue.endpoint = endpoint;
    out.push_back(std::move(s));
  }
  return out;
}

Expected<std::vector<Delivery>> DeliveryService::dead_letters(DeliveryQuery query) const {
  query.state = DeliveryState::dead;
  query.with_history = true;
  return store_.deliveries(query);
}

Expected<std::vector<Delivery>> DeliveryService::dead_rows(DeliveryQuery query) const {
  query.state = DeliveryState::dead;
  query.with_history = false;
  query.with_requests = false;
  return store_.deliveries(query);
}

Expected<DeadLetterAction> DeliveryService::replay(DeliveryQuery query, bool dry_run) {
  std::lock_guard serial(actions_mutex_);
  auto rows_or = dead_rows(std::move(query));
  if (!rows_or) return std::move(rows_or).error();
  std::vector<Delivery>& rows = *rows_or;
  DeadLetterAction action;
  action.dry_run = dry_run;
  for (const Delivery& d : rows) action.ids.push_back(d.id);
  if (dry_run || rows.empty()) return action;
  const auto now = Clock::now();
  std::vector<DeliveryChange> changes;
  for (const Delivery& d : rows) {
    DeliveryChange change;
    change.kind = DeliveryChange::Kind::replay;
    change.id = d.id;
    change.at = now;
    change.next_attempt_at = now;
    changes.push_back(std::move(change));
  }
  if (auto stored = wait_for_store(std::move(changes)); !stored) return std::move(stored).error();
  // Which of them this node delivers: every one in a store of its own; in a shared one, none yet
  // (the holder of each key claims it, this node included when no node holds the key).
  DeliveryQuery replayed;
  replayed.ids = action.ids;
  replayed.state = DeliveryState::queued;
  replayed.limit = 0;
  auto queued = store_.deliveries(replayed);
  if (!queued)
    log::system().warn(
        "replayed dead letters are queued, but reading them back failed ({}); they are claimed "
        "from the store",
        queued.error().message);
  {
    std::lock_guard lock(mutex_);
    for (const Delivery& d : rows) {
      EndpointQueueStats& c = counters(d.endpoint);
      if (c.dead_letters) --c.dead_letters;
    }
    if (queued) {
      for (Delivery& d : *queued) {
        if (!d.held) continue;
        d.interrupted = false;
        queues_.add(std::move(d));  // the request is read back from the store when its turn comes
      }
    }
  }
  log::system().info("replayed {} dead letter(s)", action.ids.size());
  wake();
  claim_soon();
  return action;
}

Expected<DeadLetterAction> DeliveryService::discard(DeliveryQuery query, bool dry_run) {
  std::lock_guard serial(actions_mutex_);
  auto found = dead_rows(std::move(query));
  if (!found) return std::move(found).error();
  const std::vector<Delivery>& rows = *found;
  DeadLetterAction action;
  action.dry_run = dry_run;
  for (const Delivery& d : rows) action.ids.push_back(d.id);
  if (dry_run || rows.empty()) return action;
  std::vector<DeliveryChange> changes;
  for (const Delivery& d : rows) {
    DeliveryChange change;
    change.kind = DeliveryChange::Kind::discard;
    change.id = d.id;
    change.at = Clock::now();
    changes.push_back(std::move(change));
  }
  if (auto stored = wait_for_store(std::move(changes)); !stored) return std::move(stored).error();
  {
    std::lock_guard lock(mutex_);
    for (const Delivery& d : rows) {
      EndpointQueueStats& c = counters(d.endpoint);
      if (c.dead_letters) --c.dead_letters;
    }
  }
  log::system().warn("discarded {} dead letter(s)", action.ids.size());
  return action;
}

}  // namespace qiao
