#include "adapters/tcp/client/long_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "core/spawn.hpp"

namespace qiao::tcp {

namespace asio = boost::asio;

// A call waiting for a connection; lives in the submitting coroutine's frame. notify() cancels
// its timer to make it look again.
struct LongPool::Waiter {
  Waiter(LongPool& owner, Clock::time_point deadline) : pool(owner), timer(owner.io_, deadline) {
    position = pool.waiters_.insert(pool.waiters_.end(), this);
  }
  ~Waiter() { pool.waiters_.erase(position); }
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  LongPool& pool;
  asio::steady_timer timer;
  std::list<Waiter*>::iterator position;
};

LongPool::LongPool(std::shared_ptr<const TcpSettings> settings, asio::io_context& io)
    : settings_(std::move(settings)), io_(io), worker_thread_(std::this_thread::get_id()) {}

std::chrono::milliseconds Backoff::after(unsigned failures) const {
  auto wait = initial;
  for (unsigned i = 1; i < failures && wait < max; ++i) wait *= 2;
  return std::min(wait, max);
}

std::shared_ptr<LongConnection> LongPool::pick() {
  std::shared_ptr<LongConnection> best;
  for (const auto& slot : slots_) {
    const auto& connection = slot->connection;
    if (!connection || !connection->is_open()) continue;
    if (!settings_->multiplexed()) {
      if (connection->in_flight() == 0) return connection;
      continue;
    }
    if (connection->in_flight() >= settings_->max_in_flight) continue;
    if (!best || connection->in_flight() < best->in_flight()) best = connection;
  }
  // Spread a multiplexed load: another connection while every open one is busy.
  if (best && best->in_flight() > 0 && may_open_slot()) open_slot();
  return best;
}

// Only when no slot is connecting or backing off: a peer that is down gets one attempt at a
// time, not one per waiting call.
bool LongPool::may_open_slot() const {
  if (closing_ || slots_.size() >= settings_->common.pool) return false;
  return std::all_of(slots_.begin(), slots_.end(),
                     [](const std::shared_ptr<Slot>& slot) { return slot->connection && slot->connection->is_open(); });
}

void LongPool::open_slot() {
  auto slot = std::make_shared<Slot>(io_);
  slot->connecting = true;
  slots_.push_back(slot);
  spawn(io_, run_slot(shared_from_this(), std::move(slot)), "tcp endpoint '" + settings_->common.name + "' connection");
}

void LongPool::notify() {
  for (Waiter* waiter : waiters_) waiter->timer.cancel();
}

asio::awaitable<Expected<std::shared_ptr<LongConnection>>> LongPool::submit(std::shared_ptr<PendingCall> call) {
  auto self = shared_from_this();  // the endpoint may be retired while this call waits
  const TcpSettings& s = *settings_;
  const auto failures_before = failed_attempts_;
  for (;;) {
    if (closing_) co_return s.fail(ErrorKind::unavailable, "the endpoint is shutting down");
    if (auto connection = pick()) {
      if (auto submitted = connection->submit(call); !submitted) co_return std::move(submitted).error();
      co_return connection;
    }
    if (may_open_slot()) open_slot();
    bool any_open = false;
    bool connecting = false;
    auto next_attempt = Clock::time_point::max();
    for (const auto& slot : slots_) {
      if (slot->connection && slot->connection->is_open()) any_open = true;
      else if (slot->connecting) connecting = true;
      else next_attempt = std::min(next_attempt, slot->retry_at);
    }
    if (!any_open && failed_attempts_ != failures_before) {
      co_return s.fail(ErrorKind::unavailable, last_failure_);
    }
    if (!any_open && !connecting && next_attempt >= call->deadline) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt - Clock::now());
      co_return s.fail(ErrorKind::unavailable,
                       last_failure_ + "; next attempt in " + std::to_string(std::max<long>(0, wait.count())) + " ms");
    }
    Waiter waiter(*this, call->deadline);
    (void)co_await waiter.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (Clock::now() >= call->deadline) {
      co_return s.timed_out(any_open ? "all " + std::to_string(slots_.size()) + " connections busy"
                                     : "while connecting");
    }
  }
}

asio::awaitable<void> LongPool::run_slot(std::shared_ptr<LongPool> pool, std::shared_ptr<Slot> slot) {
  const TcpSettings& s = *pool->settings_;
  unsigned failures = 0;
  while (!pool->closing_) {
    slot->connecting = true;
    auto stream =
        co_await TcpStream::open(s.peer, s.tls_options(), s.tls_context.get(), Clock::now() + s.common.connect_timeout);
    slot->connecting = false;
    if (pool->closing_) break;
    if (!stream) {
      ++failures;
      const auto wait = s.reconnect.after(failures);
      slot->retry_at = Clock::now() + wait;
      const std::string reason = stream.error().kind == ErrorKind::timeout
                                     ? "cannot connect to " + s.peer.text + " within " +
                                           std::to_string(s.common.connect_timeout.count()) + " ms"
                                     : stream.error().message;
      pool->last_failure_ = reason;
      ++pool->failed_attempts_;
      log::system().warn("endpoint '{}': {} (attempt {}); next attempt in {} ms", s.common.name, reason, failures,
                         wait.count());
      pool->notify();
      slot->backoff.expires_after(wait);
      (void)co_await slot->backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (failures > 0) log::system().info("endpoint '{}': connected to {} again", s.common.name, s.peer.text);
    auto connection =
        std::make_shared<LongConnection>(pool->settings_, std::move(*stream), [weak = std::weak_ptr<LongPool>(pool)]() {
          if (auto live = weak.lock()) live->notify();
        });
    slot->connection = connection;
    connection->start(pool->io_);
    pool->notify();
    co_await LongConnection::read_loop(connection);
    slot->connection.reset();
    if (pool->closing_ || connection->closed_for_idle()) break;
    log::system().info("endpoint '{}': connection to {} closed: {}", s.common.name, s.peer.text,
                       connection->close_reason());
    // A peer that accepts and hangs up before answering anything is as good as down: back off
    // instead of reconnecting in a tight loop.
    if (connection->answered_any()) {
      failures = 0;
    } else {
      ++failures;
      const auto wait = s.reconnect.after(failures);
      slot->retry_at = Clock::now() + wait;
      pool->last_failure_ = "connection to " + s.peer.text + " closed: " + connection->close_reason();
      pool->notify();
      slot->backoff.expires_after(wait);
      (void)co_await slot->backoff.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  auto& slots = pool->slots_;
  slots.erase(std::remove(slots.begin(), slots.end(), slot), slots.end());
  pool->notify();
}

void LongPool::retire(std::shared_ptr<LongPool> pool) {
  if (pool->worker_thread_ == std::this_thread::get_id()) {
    pool->shutdown();
    return;
  }
  // The handler owns the pool, so the pool also dies on its worker (or with its io_context).
  asio::post(pool->io_, [pool] { pool->shutdown(); });
}

void LongPool::shutdown() {
  closing_ = true;
  // Copies: closing a connection ends its slot's coroutine, which edits slots_ — later, but
  // keep the loop independent of that.
  auto slots = slots_;
  for (const auto& slot : slots) {
    slot->backoff.cancel();
    if (slot->connection) slot->connection->close("the endpoint was retired");
  }
  notify();
}

}  // namespace qiao::tcp
