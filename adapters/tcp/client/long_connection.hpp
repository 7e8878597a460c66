#pragma once
// One persistent connection of a long-mode tcp endpoint and the calls waiting on it.
//
// Three coroutines share it, all on the worker's thread: the reader (read_loop, awaited by the
// pool's slot that opened the connection) splits the stream into frames and hands each reply to
// its call; the writer sends queued frames one at a time (a frame is never interleaved with
// another); the keeper sends heartbeats and closes the connection when it has been idle too
// long. Synchronous mode allows one call at a time and gives it the next frame that is not a
// heartbeat; multiplexed mode keeps calls by correlation key and matches every reply by its own.
// Replies nobody waits for (late, unknown or undecodable) are logged and counted.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "adapters/tcp/client/settings.hpp"
#include "adapters/tcp/client/stream.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::tcp {

// A call waiting for its reply. Shared by the calling coroutine, the connection's table and
// the writer's queue, so whichever lets go last frees it.
struct PendingCall {
  PendingCall(const boost::asio::any_io_executor& executor, Clock::time_point call_deadline,
              std::string correlation_key, std::string bytes)
      : wake(executor, call_deadline),
        deadline(call_deadline),
        key(std::move(correlation_key)),
        frame(std::move(bytes)) {}

  // Sets the result (once) and wakes the caller.
  void complete(Expected<Value> outcome);

  boost::asio::steady_timer wake;  // expires at the deadline; cancelled when the result is in
  Clock::time_point deadline;
  std::string key;         // multiplexed mode: the correlation key the reply must carry
  std::string frame;       // the bytes to write
  bool written = false;    // the whole frame went out
  bool abandoned = false;  // the caller gave up (deadline): do not send it any more
  std::optional<Expected<Value>> result;
};

class LongConnection : public std::enable_shared_from_this<LongConnection> {
 public:
  // `on_change` runs when the connection can take a call again or has closed (the pool wakes
  // the calls waiting for a connection).
  LongConnection(std::shared_ptr<const TcpSettings> settings, std::shared_ptr<TcpStream> stream,
                 std::function<void()> on_change);
  ~LongConnection();
  LongConnection(const LongConnection&) = delete;
  LongConnection& operator=(const LongConnection&) = delete;

  // The writer and the keeper run on `io` until the connection closes.
  void start(boost::asio::io_context& io);
  // Reads until the connection closes (peer, error, idle, close()); fails the calls left.
  static boost::asio::awaitable<void> read_loop(std::shared_ptr<LongConnection> self);

  bool is_open() const { return !closed_; }
  std::size_t in_flight() const;
  // A call leaves with the frame queued. Errors: the connection closed (unavailable), too many
  // calls in flight (unavailable), the same correlation key already waiting (bad_input).
  Status submit(std::shared_ptr<PendingCall> call);
  // The call's deadline passed. Synchronous mode closes the connection, or its late reply
  // would answer the next call.
  void abandon(const std::shared_ptr<PendingCall>& call);
  // Closes the socket and fails every call still waiting with `reason`.
  void close(const std::string& reason, bool idle = false);
  bool closed_for_idle() const { return closed_idle_; }
  bool answered_any() const { return replies_ > 0; }
  const std::string& close_reason() const { return close_reason_; }

 private:
  struct Outgoing {
    std::shared_ptr<PendingCall> call;  // null for a heartbeat
    std::string bytes;                  // a heartbeat's frame
  };
  static boost::asio::awaitable<void> write_loop(std::shared_ptr<LongConnection> self);
  static boost::asio::awaitable<void> keep_loop(std::shared_ptr<LongConnection> self);
  void dispatch(std::string payload);
  void unmatched(const std::string& why);
  void enqueue(Outgoing item);

  std::shared_ptr<const TcpSettings> settings_;
  std::shared_ptr<TcpStream> stream_;
  std::function<void()> on_change_;
  boost::asio::steady_timer writer_wake_;
  boost::asio::steady_timer keeper_wake_;
  std::deque<Outgoing> outbox_;
  std::shared_ptr<PendingCall> current_;                                 // synchronous mode
  std::unordered_map<std::string, std::shared_ptr<PendingCall>> calls_;  // multiplexed mode, by key
  std::deque<std::string> expired_keys_;  // recent keys whose call gave up: their replies are "late"
  std::optional<std::string> heartbeat_frame_;
  Clock::time_point last_traffic_;  // a frame written or read
  Clock::time_point last_call_;     // a call submitted or answered
  std::uint64_t replies_ = 0;
  bool closed_ = false;
  bool closed_idle_ = false;
  std::string close_reason_;
};

}  // namespace qiao::tcp
