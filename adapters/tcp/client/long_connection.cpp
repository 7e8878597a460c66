#include "adapters/tcp/client/long_connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/tcp/client/request_reply.hpp"
#include "adapters/tcp/framing/frame_reader.hpp"
#include "core/log.hpp"
#include "core/spawn.hpp"

namespace qiao::tcp {

namespace asio = boost::asio;

namespace {
// Enough to tell a late reply from a stray one after a burst of timeouts, small enough to scan.
constexpr std::size_t remembered_expired_keys = 256;
}  // namespace

void PendingCall::complete(Expected<Value> outcome) {
  if (result) return;
  result.emplace(std::move(outcome));
  wake.cancel();
}

LongConnection::LongConnection(std::shared_ptr<const TcpSettings> settings, std::shared_ptr<TcpStream> stream,
                               std::function<void()> on_change)
    : settings_(std::move(settings)),
      stream_(std::move(stream)),
      on_change_(std::move(on_change)),
      writer_wake_(stream_->executor()),
      keeper_wake_(stream_->executor()),
      last_traffic_(Clock::now()),
      last_call_(Clock::now()) {
  if (settings_->heartbeat) {
    // Checked at parse time: the heartbeat payload fits the framing.
    auto framed = frame(settings_->framing, settings_->heartbeat->payload);
    if (framed) heartbeat_frame_ = std::move(*framed);
  }
}

LongConnection::~LongConnection() { stream_->close(); }

void LongConnection::start(asio::io_context& io) {
  const std::string what = "tcp endpoint '" + settings_->common.name + "'";
  spawn(io, write_loop(shared_from_this()), what + " writer");
  spawn(io, keep_loop(shared_from_this()), what + " keeper");
}

std::size_t LongConnection::in_flight() const { return settings_->multiplexed() ? calls_.size() : (current_ ? 1 : 0); }

Status LongConnection::submit(std::shared_ptr<PendingCall> call) {
  const TcpSettings& s = *settings_;
  if (closed_) return s.fail(ErrorKind::unavailable, "the connection to " + s.peer.text + " closed: " + close_reason_);
  if (s.multiplexed()) {
    if (calls_.size() >= s.max_in_flight) {
      return s.fail(ErrorKind::unavailable,
                    std::to_string(calls_.size()) + " requests already wait on the connection to " + s.peer.text);
    }
    auto [it, inserted] = calls_.emplace(call->key, call);
    if (!inserted) {
      return s.fail(ErrorKind::bad_input, "a request with the same correlation key (" +
                                              show_key(s.correlation, call->key) +
                                              ") is already waiting for its reply");
    }
  } else {
    if (current_) return s.fail(ErrorKind::internal, "a second call on a synchronous connection");
    current_ = call;
  }
  last_call_ = Clock::now();
  enqueue(Outgoing{std::move(call), {}});
  return Ok{};
}

void LongConnection::enqueue(Outgoing item) {
  outbox_.push_back(std::move(item));
  writer_wake_.cancel();
}

void LongConnection::abandon(const std::shared_ptr<PendingCall>& call) {
  call->abandoned = true;
  if (settings_->multiplexed()) {
    auto it = calls_.find(call->key);
    if (it != calls_.end() && it->second == call) {
      calls_.erase(it);
      expired_keys_.push_back(call->key);
      if (expired_keys_.size() > remembered_expired_keys) expired_keys_.pop_front();
    }
    return;
  }
  if (current_ == call) {
    current_.reset();
    close("no reply within " + std::to_string(settings_->common.timeout.count()) +
          " ms; closed so that a late reply cannot answer the next request");
  }
}

void LongConnection::close(const std::string& reason, bool idle) {
  if (closed_) return;
  closed_ = true;
  closed_idle_ = idle;
  close_reason_ = reason;
  stream_->close();
  writer_wake_.cancel();
  keeper_wake_.cancel();
  const TcpSettings& s = *settings_;
  auto fail = [&](const std::shared_ptr<PendingCall>& call) {
    if (call->written) {
      // The peer may have acted on the request: not "unavailable", which promises nothing was done.
      call->complete(s.fail(ErrorKind::upstream, "connection to " + s.peer.text + " lost before a reply: " + reason));
    } else {
      call->complete(s.fail(ErrorKind::unavailable, "the request was not sent to " + s.peer.text + ": " + reason));
    }
  };
  if (current_) fail(current_);
  current_.reset();
  for (auto& [key, call] : calls_) fail(call);
  calls_.clear();
  outbox_.clear();
  if (on_change_) on_change_();
}

void LongConnection::unmatched(const std::string& why) {
  const auto count = settings_->unmatched_replies->fetch_add(1, std::memory_order_relaxed) + 1;
  log::system().warn("endpoint '{}': reply from {} matches no waiting request ({}); {} so far", settings_->common.name,
                     settings_->peer.text, why, count);
}

void LongConnection::dispatch(std::string payload) {
  const TcpSettings& s = *settings_;
  if (heartbeat_frame_ && payload == s.heartbeat->payload) return;  // the peer's answer to our heartbeat
  ++replies_;
  last_call_ = Clock::now();
  if (!s.multiplexed()) {
    if (!current_) {
      unmatched("no request was waiting on this connection");
      return;
    }
    auto call = std::move(current_);
    current_.reset();
    call->complete(decode_reply(s, std::move(payload)));
    if (on_change_) on_change_();
    return;
  }
  auto reply = decode_reply(s, std::move(payload));
  if (!reply) {
    unmatched(reply.error().message);
    return;
  }
  auto key = reply_key(s.correlation, *reply);
  if (!key) {
    unmatched(key.error().message);
    return;
  }
  auto it = calls_.find(*key);
  if (it == calls_.end()) {
    const bool late = std::find(expired_keys_.begin(), expired_keys_.end(), *key) != expired_keys_.end();
    unmatched((late ? "late: its request timed out, " : "unknown ") + show_key(s.correlation, *key));
    return;
  }
  auto call = std::move(it->second);
  calls_.erase(it);
  call->complete(std::move(reply));
  if (on_change_) on_change_();
}

asio::awaitable<void> LongConnection::read_loop(std::shared_ptr<LongConnection> self) {
  const TcpSettings& s = *self->settings_;
  FrameReader reader(s.framing);
  std::array<char, 16 * 1024> buffer;
  while (!self->closed_) {
    auto [ec, read] = co_await self->stream_->read_some(asio::buffer(buffer), TcpStream::no_deadline);
    if (self->closed_) break;
    if (ec == asio::error::eof) {
      auto rest = reader.finish();
      self->close(rest ? "closed by the peer" : "closed by the peer in the middle of a frame");
      break;
    }
    if (ec) {
      self->close(ec.message());
      break;
    }
    self->last_traffic_ = Clock::now();
    reader.feed(std::string_view(buffer.data(), read));
    for (;;) {
      auto next = reader.next();
      if (!next) {
        // The stream cannot be split any further: no later byte can be trusted to start a frame.
        log::system().warn("endpoint '{}': unreadable reply from {}: {}", s.common.name, s.peer.text,
                           next.error().message);
        self->close("unreadable reply: " + next.error().message);
        break;
      }
      if (!*next) break;
      self->dispatch(std::move(**next));
      if (self->closed_) break;
    }
  }
}

asio::awaitable<void> LongConnection::write_loop(std::shared_ptr<LongConnection> self) {
  const TcpSettings& s = *self->settings_;
  for (;;) {
    while (self->outbox_.empty() && !self->closed_) {
      self->writer_wake_.expires_at(TcpStream::no_deadline);
      (void)co_await self->writer_wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (self->closed_) co_return;
    Outgoing item = std::move(self->outbox_.front());
    self->outbox_.pop_front();
    if (item.call && (item.call->abandoned || item.call->result)) continue;  // its caller is gone
    const auto deadline = item.call ? item.call->deadline : Clock::now() + s.common.timeout;
    const std::string& bytes = item.call ? item.call->frame : item.bytes;
    auto ec = co_await self->stream_->write(bytes, deadline);
    if (self->closed_) co_return;
    if (ec) {
      self->close(ec == asio::error::timed_out ? "a write did not finish in time" : "cannot send: " + ec.message());
      co_return;
    }
    if (item.call) item.call->written = true;
    self->last_traffic_ = Clock::now();
  }
}

asio::awaitable<void> LongConnection::keep_loop(std::shared_ptr<LongConnection> self) {
  const TcpSettings& s = *self->settings_;
  while (!self->closed_) {
    const auto now = Clock::now();
    auto next = TcpStream::no_deadline;
    if (self->heartbeat_frame_) {
      auto due = self->last_traffic_ + s.heartbeat->interval;
      if (now >= due) {
        // Only into a quiet connection: a synchronous peer busy with a request may not expect it.
        if (self->outbox_.empty() && (s.multiplexed() || !self->current_)) {
          self->enqueue(Outgoing{nullptr, *self->heartbeat_frame_});
          self->last_traffic_ = now;
        }
        due = now + s.heartbeat->interval;
      }
      next = std::min(next, due);
    }
    if (s.idle_timeout.count() > 0) {
      if (self->in_flight() == 0) {
        const auto due = self->last_call_ + s.idle_timeout;
        if (now >= due) {
          self->close("idle for " + std::to_string(s.idle_timeout.count()) + " ms", true);
          co_return;
        }
        next = std::min(next, due);
      } else {
        next = std::min(next, now + s.idle_timeout);
      }
    }
    if (next == TcpStream::no_deadline) co_return;  // nothing to keep
    self->keeper_wake_.expires_at(next);
    (void)co_await self->keeper_wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace qiao::tcp
