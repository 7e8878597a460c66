#include "adapters/http/client/connection_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cassert>

namespace qiao::http {

namespace asio = boost::asio;

Connection::Connection(const asio::any_io_executor& executor) { plain_.emplace(executor); }

Connection::Connection(const asio::any_io_executor& executor, asio::ssl::context& tls_context) {
  tls_.emplace(executor, tls_context);
}

void Connection::close() {
  // No TLS close_notify: it would need another round trip on a connection we are giving up,
  // and HTTP/1.1 framing already tells the peer where our data ends.
  tcp().close();
}

// A request queued for a slot. It lives in the acquiring coroutine's frame; a release hands it
// a connection or a slot and cancels its timer to wake it.
struct ConnectionPool::Waiter {
  Waiter(ConnectionPool& owner, const asio::any_io_executor& executor, Clock::time_point deadline)
      : pool(owner), timer(executor, deadline) {
    position = pool.waiters_.insert(pool.waiters_.end(), this);
  }
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter() {
    if (queued) pool.waiters_.erase(position);
    // Handed something but destroyed before resuming (the call was torn down): give it back,
    // or the slot would be lost for good.
    if (handed) {
      pool.release(std::move(handed), true);
    } else if (granted) {
      pool.release(nullptr, false);
    }
  }

  ConnectionPool& pool;
  asio::steady_timer timer;
  std::list<Waiter*>::iterator position;
  bool queued = true;
  std::unique_ptr<Connection> handed;  // an open connection to reuse
  bool granted = false;                // a free slot to connect in
};

ConnectionPool::Lease::Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<Connection> connection)
    : pool_(std::move(pool)), connection_(std::move(connection)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::move(other.pool_)), connection_(std::move(other.connection_)), recycle_(other.recycle_) {}

ConnectionPool::Lease::~Lease() {
  if (pool_) pool_->release(std::move(connection_), recycle_);
}

ConnectionPool::ConnectionPool(std::size_t limit, Clock::duration idle_timeout)
    : limit_(limit == 0 ? 1 : limit), idle_timeout_(idle_timeout) {}

ConnectionPool::~ConnectionPool() { shutdown(); }

asio::awaitable<std::optional<ConnectionPool::Lease>> ConnectionPool::acquire(Clock::time_point deadline) {
  auto self = shared_from_this();
  if (!executor_) {
    executor_ = co_await asio::this_coro::executor;
    worker_thread_ = std::this_thread::get_id();
  }
  if (auto connection = take_idle()) co_return Lease(self, std::move(connection));
  if (open_ < limit_) {
    ++open_;
    co_return Lease(self, nullptr);
  }
  Waiter waiter(*this, *executor_, deadline);
  // Ends when the deadline passes, when a release cancels the timer to wake us, or when the
  // caller's coroutine is cancelled; only what was handed over tells which.
  (void)co_await waiter.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (waiter.handed) co_return Lease(self, std::move(waiter.handed));
  if (waiter.granted) {
    waiter.granted = false;
    co_return Lease(self, nullptr);
  }
  co_return std::nullopt;
}

std::unique_ptr<Connection> ConnectionPool::take_idle() {
  // Most recently used first: it is the likeliest to still be open at the server, and the
  // least used ones age out.
  while (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    if (connection->is_open() && Clock::now() - connection->idle_since < idle_timeout_) return connection;
    connection->close();
    --open_;
  }
  return nullptr;
}

void ConnectionPool::release(std::unique_ptr<Connection> connection, bool reusable) {
  if (connection && reusable && connection->is_open()) {
    if (!waiters_.empty()) {
      Waiter* waiter = waiters_.front();
      waiters_.pop_front();
      waiter->queued = false;
      waiter->handed = std::move(connection);
      waiter->timer.cancel();
      return;
    }
    if (!closing_) {
      connection->tcp().expires_never();
      connection->idle_since = Clock::now();
      idle_.push_back(std::move(connection));
      arm_reaper();
      return;
    }
  }
  if (connection) connection->close();
  if (!waiters_.empty()) {
    // The slot passes to the oldest waiter, so the open count stays the same.
    Waiter* waiter = waiters_.front();
    waiters_.pop_front();
    waiter->queued = false;
    waiter->granted = true;
    waiter->timer.cancel();
    return;
  }
  assert(open_ > 0);
  --open_;
}

void ConnectionPool::arm_reaper() {
  if (reaper_armed_ || idle_.empty() || closing_ || !executor_) return;
  if (!reaper_) reaper_.emplace(*executor_);
  reaper_->expires_at(idle_.front()->idle_since + idle_timeout_);
  reaper_armed_ = true;
  // A weak pointer: the pending wait must not keep a pool alive after its endpoint is gone.
  reaper_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto pool = weak.lock()) {
      pool->reaper_armed_ = false;
      pool->reap();
    }
  });
}

void ConnectionPool::reap() {
  const auto now = Clock::now();
  // Idle connections exist only while nobody waits, so closing them frees slots nobody needs.
  while (!idle_.empty() && (now - idle_.front()->idle_since >= idle_timeout_ || !idle_.front()->is_open())) {
    idle_.front()->close();
    idle_.erase(idle_.begin());
    --open_;
  }
  arm_reaper();
}

void ConnectionPool::retire(std::shared_ptr<ConnectionPool> pool) {
  if (!pool->executor_ || pool->worker_thread_ == std::this_thread::get_id()) {
    pool->shutdown();
    return;
  }
  // The handler owns the pool, so the pool also dies on its worker (or with its io_context).
  asio::post(*pool->executor_, [pool] { pool->shutdown(); });
}

void ConnectionPool::shutdown() {
  closing_ = true;
  for (auto& connection : idle_) connection->close();
  open_ -= idle_.size();
  idle_.clear();
  if (reaper_) reaper_->cancel();
}

}  // namespace qiao::http
