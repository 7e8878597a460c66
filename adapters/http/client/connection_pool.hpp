#pragma once
// One worker's connections to one HTTP endpoint: at most `limit` open at once, idle ones kept
// for reuse (keep-alive) and closed after `idle_timeout`.
//
// Used only on its worker's thread, so it takes no locks. Requests that find every connection
// busy queue as waiters, each with its own timer set to its request deadline; a released
// connection (or its freed slot) is handed straight to the oldest waiter, so waiters are served
// in order and no request overtakes one that waited longer.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace qiao::http {

using Clock = std::chrono::steady_clock;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// An open connection, plain or TLS, and the buffer holding bytes read past the last response.
class Connection {
 public:
  explicit Connection(const boost::asio::any_io_executor& executor);
  Connection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context& tls_context);

  bool is_tls() const { return tls_.has_value(); }
  boost::beast::tcp_stream& plain() { return *plain_; }
  TlsStream& tls() { return *tls_; }
  // The TCP layer under either: it owns the socket and the per-operation expiry.
  boost::beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }
  std::string& head() { return head_; }  // each request's start line and fields, reused
  bool is_open() { return tcp().socket().is_open(); }
  void close();

  std::size_t exchanges = 0;  // completed request/response pairs: > 0 means this is a reused connection
  Clock::time_point idle_since{};

 private:
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<TlsStream> tls_;
  boost::beast::flat_buffer buffer_;
  std::string head_;
};

class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
 public:
  // A slot in the pool, held for one request. It carries an idle connection to reuse, or none
  // (the holder connects one into it). Destroying it returns the connection for reuse when
  // recycle() was called, and otherwise closes it and frees the slot.
  class Lease {
   public:
    Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<Connection> connection);
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    std::unique_ptr<Connection>& connection() { return connection_; }
    void recycle() { recycle_ = true; }

   private:
    std::shared_ptr<ConnectionPool> pool_;
    std::unique_ptr<Connection> connection_;
    bool recycle_ = false;
  };

  ConnectionPool(std::size_t limit, Clock::duration idle_timeout);
  ~ConnectionPool();

  // A slot, waiting until `deadline` when all are taken; nullopt when the deadline passed or
  // the wait was cancelled. Must run on the pool's worker.
  boost::asio::awaitable<std::optional<Lease>> acquire(Clock::time_point deadline);

  // Closes idle connections and every connection released from now on (the endpoint is going
  // away; calls in flight finish on the connections they hold). On the pool's worker only.
  void shutdown();

  // shutdown() from any thread: a generation may drop its endpoints on whichever thread lets
  // go of it last, while this pool's sockets and timer belong to its worker's io_context.
  static void retire(std::shared_ptr<ConnectionPool> pool);

  std::size_t open_count() const { return open_; }
  std::size_t idle_count() const { return idle_.size(); }
  std::size_t limit() const { return limit_; }

 private:
  struct Waiter;

  std::unique_ptr<Connection> take_idle();
  void release(std::unique_ptr<Connection> connection, bool reusable);
  void arm_reaper();
  void reap();

  const std::size_t limit_;
  const Clock::duration idle_timeout_;
  std::optional<boost::asio::any_io_executor> executor_;  // learnt from the first acquire
  std::thread::id worker_thread_;                         // and the thread it runs on
  std::size_t open_ = 0;                                  // slots taken: connecting, busy or idle
  std::vector<std::unique_ptr<Connection>> idle_;         // oldest first
  std::list<Waiter*> waiters_;                            // oldest first
  std::optional<boost::asio::steady_timer> reaper_;
  bool reaper_armed_ = false;
  bool closing_ = false;
};

}  // namespace qiao::http
