#pragma once
// One worker's long connections to one tcp endpoint: up to `pool` of them, each kept by a slot
// that connects, reads until the connection breaks, and connects again, backing off
// exponentially (reconnect.initial doubling up to reconnect.max) while attempts fail.
//
// Synchronous mode gives a call a connection with nothing in flight; multiplexed mode gives it
// the least busy one and opens another while every open one is busy. A call that finds no
// usable connection waits, up to its deadline, for one; it fails as unavailable at once when
// the peer is down and the next attempt comes after its deadline, or when an attempt made while
// it waited fails. Used only on its worker's thread; retire() hands shutdown to that thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/tcp/client/long_connection.hpp"
#include "adapters/tcp/client/settings.hpp"

namespace qiao::tcp {

class LongPool : public std::enable_shared_from_this<LongPool> {
 public:
  LongPool(std::shared_ptr<const TcpSettings> settings, boost::asio::io_context& io);
  LongPool(const LongPool&) = delete;
  LongPool& operator=(const LongPool&) = delete;

  // Queues the call's frame on a connection and returns that connection, or the reason none
  // could take it before the call's deadline.
  boost::asio::awaitable<Expected<std::shared_ptr<LongConnection>>> submit(std::shared_ptr<PendingCall> call);

  // Closes every connection and stops reconnecting, from any thread: a generation may let go of
  // its endpoints on whichever thread drops it last, while the sockets belong to the worker.
  static void retire(std::shared_ptr<LongPool> pool);

 private:
  struct Slot {
    explicit Slot(boost::asio::io_context& io) : backoff(io) {}
    std::shared_ptr<LongConnection> connection;
    bool connecting = false;
    Clock::time_point retry_at{};  // while backing off
    boost::asio::steady_timer backoff;
  };
  struct Waiter;

  static boost::asio::awaitable<void> run_slot(std::shared_ptr<LongPool> pool, std::shared_ptr<Slot> slot);
  std::shared_ptr<LongConnection> pick();
  bool may_open_slot() const;
  void open_slot();
  void notify();
  void shutdown();

  std::shared_ptr<const TcpSettings> settings_;
  boost::asio::io_context& io_;
  std::thread::id worker_thread_;
  std::vector<std::shared_ptr<Slot>> slots_;
  std::list<Waiter*> waiters_;
  std::uint64_t failed_attempts_ = 0;
  std::string last_failure_;
  bool closing_ = false;
};

}  // namespace qiao::tcp
