#include "adapters/tcp/source/tcp_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "adapters/tcp/framing/frame_reader.hpp"
#include "adapters/tcp/source/tcp_listener_plan.hpp"
#include "core/engine.hpp"
#include "core/flow/flow.hpp"
#include "core/generation.hpp"
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/protocol_answers.hpp"

namespace qiao::tcp {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp_socket = asio::ip::tcp::socket;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Turns an outcome into what the sender gets: the codec's own answer (an HL7 acknowledgement, an
// ISO 8583 response with field 39) when the flow failed or the listener acknowledges on the flow's
// behalf, the flow's own reply otherwise.
class TcpOutcomeRenderer final : public ErrorRenderer {
 public:
  TcpOutcomeRenderer(const TcpListenerPlan& plan, Buffer raw) : plan_(plan), raw_(std::move(raw)) {}

  void render(const Error& error, Outcome& outcome) const override {
    outcome.status = 0;  // TCP has no protocol status; the outcome names the error kind
    outcome.content_type.clear();
    outcome.body.clear();
    if (plan_.ack == AckMode::none || !raw_ || plan_.answers == nullptr) return;
    outcome.body = protocol_answer(&error);
  }

  void accepted(Outcome& outcome) const override {
    if (plan_.ack == AckMode::automatic && raw_) outcome.body = protocol_answer(nullptr);
    else if (plan_.ack == AckMode::none) outcome.body.clear();
  }

  bool sends_flow_reply() const override { return plan_.ack == AckMode::flow; }

  // The listener's plan allows accept: stored only with a codec that acknowledges and ack: auto
  // or none.
  void stored(Outcome& outcome) const override {
    outcome.status = 0;
    outcome.content_type.clear();
    outcome.body.clear();
    if (plan_.ack == AckMode::automatic && raw_) outcome.body = protocol_answer(nullptr);
  }

 private:
  std::string protocol_answer(const Error* failure) const {
    auto answer = plan_.answers->answer(raw_, failure);
    if (answer) return std::move(*answer);
    log::system().warn("flow '{}': no answer sent: {}", plan_.flow->id, answer.error().message);
    return {};
  }

  const TcpListenerPlan& plan_;
  Buffer raw_;
};

struct Session {
  Host& host;
  const std::string& key;
  const std::atomic<bool>& stopped;
  Framing framing;  // as the plan said when the connection opened; a reload does not reframe a stream
  TcpLimits limits;
  std::string remote;
  bool tls = false;
};

Message make_message(const Session& session) {
  Message msg;
  msg.id = next_message_id();
  msg.trace_id = msg.id;
  msg.source.push_back("kind", Value(session.framing.kind == FramingKind::mllp ? "mllp" : "tcp"));
  msg.source.push_back("remote", Value(session.remote));
  msg.source.push_back("tls", Value(session.tls));
  return msg;
}

// Accounts for bytes that never became a message (a frame over max_frame, a broken stream).
void account_refused(Session& session, Error error) {
  log::system().warn("{}: closing the connection from {}: {}", session.key, session.remote, error.message);
  auto generation = session.host.generation();
  const auto* plan = generation ? static_cast<const TcpListenerPlan*>(generation->listener_plan(session.key)) : nullptr;
  if (plan == nullptr) return;
  const TcpOutcomeRenderer renderer(*plan, nullptr);
  session.host.engine().reject(make_message(session), std::move(error), renderer);
}

template <class Stream>
asio::awaitable<bool> write_frame(Stream& stream, Session& session, std::string_view payload) {
  auto bytes = frame(session.framing, payload);
  if (!bytes) {
    log::system().error("{}: the answer to {} cannot be framed: {}", session.key, session.remote,
                        bytes.error().message);
    co_return false;
  }
  beast::get_lowest_layer(stream).expires_after(session.limits.write_timeout);
  auto [ec, written] = co_await asio::async_write(stream, asio::buffer(*bytes), use_tuple);
  if (ec) log::system().debug("{}: writing to {} failed: {}", session.key, session.remote, ec.message());
  co_return !ec;
}

// Runs one message through the flow and writes its answer; false when the connection must close.
template <class Stream>
asio::awaitable<bool> answer(Stream& stream, Session& session, std::string payload) {
  Gate::Pass busy = session.host.gate().enter();
  auto generation = session.host.generation();
  const auto* plan = generation ? static_cast<const TcpListenerPlan*>(generation->listener_plan(session.key)) : nullptr;
  if (plan == nullptr) {
    log::system().info("{}: listener removed; closing the connection from {}", session.key, session.remote);
    co_return false;
  }
  if (plan->keepalive && payload == *plan->keepalive) co_return co_await write_frame(stream, session, payload);

  Message msg = make_message(session);
  msg.raw = make_buffer(std::move(payload));
  const TcpOutcomeRenderer renderer(*plan, msg.raw);
  Outcome outcome;
  if (plan->acknowledges && msg.raw->empty()) {
    // An empty frame holds no message for a flow to fail on: the sender gets AR (do not resend),
    // not the AE of a failed flow (try again).
    outcome =
        session.host.engine().reject(msg, Error{ErrorKind::bad_input, "empty frame: no HL7 message in it"}, renderer);
  } else {
    beast::get_lowest_layer(stream).expires_never();  // the flow bounds its own time
    outcome = co_await session.host.engine().process(generation, *plan->flow, std::move(msg), renderer);
  }
  if (!outcome.body.empty() && !co_await write_frame(stream, session, outcome.body)) co_return false;
  if (outcome.error && outcome.body.empty() && !plan->acknowledges && plan->ack == AckMode::flow) {
    // The flow failed and there is no error answer (the protocol has none, or ISO 8583 bytes
    // without a readable MTI): closing tells the peer at once instead of leaving it to time out.
    // Flows answer errors themselves with `route`.
    log::system().info("{}: message {} failed ({}); closing the connection from {}", session.key, outcome.message_id,
                       outcome.error->message, session.remote);
    co_return false;
  }
  co_return true;
}

bool is_end_of_stream(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

template <class Stream>
asio::awaitable<void> serve_frames(Stream& stream, Session& session) {
  FrameReader reader(session.framing);
  std::array<char, 16 * 1024> chunk;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  for (;;) {
    // Every complete message already received, in the order it came.
    for (;;) {
      auto next = reader.next();
      if (!next) {
        account_refused(session, std::move(next).error());
        co_return;
      }
      if (!*next) break;
      if (!co_await answer(stream, session, std::move(**next))) co_return;
    }
    if (session.stopped.load() || session.host.gate().closing()) co_return;

    const bool mid_message = reader.pending() > 0;
    tcp_layer.expires_after(mid_message ? session.limits.read_timeout : session.limits.idle_timeout);
    auto [ec, received] = co_await stream.async_read_some(asio::buffer(chunk), use_tuple);
    if (ec) {
      if (is_end_of_stream(ec)) {
        auto last = reader.finish();
        if (!last) account_refused(session, std::move(last).error());
        else if (*last) co_await answer(stream, session, std::move(**last));
      } else if (ec == beast::error::timeout && mid_message) {
        account_refused(session,
                        Error{ErrorKind::timeout, "a message did not arrive whole within " +
                                                      std::to_string(session.limits.read_timeout.count()) + " ms"});
      } else {
        log::system().debug("{}: connection from {} ends: {}", session.key, session.remote, ec.message());
      }
      co_return;
    }
    reader.feed(std::string_view(chunk.data(), received));
  }
}

class TcpConnectionHandler final : public ConnectionHandler {
 public:
  TcpConnectionHandler(std::string key, Host& host) : key_(std::move(key)), host_(host) {}

  std::size_t max_connections() const override { return current_limits().max_connections; }
  std::size_t max_connections_per_address() const override { return current_limits().max_connections_per_address; }

  asio::awaitable<void> serve(tcp_socket socket, const std::atomic<bool>& stopped) override {
    std::shared_ptr<asio::ssl::context> tls;
    Session session{host_, key_, stopped, {}, {}, remote_address(socket), false};
    {
      auto generation = host_.generation();
      const auto* plan = generation ? static_cast<const TcpListenerPlan*>(generation->listener_plan(key_)) : nullptr;
      if (plan == nullptr || session.remote.empty()) co_return;
      session.framing = plan->framing;
      session.limits = plan->limits;
      tls = plan->tls;
    }
    boost::system::error_code ec;
    beast::tcp_stream plain(std::move(socket));
    if (!tls) {
      co_await serve_frames(plain, session);
      plain.socket().shutdown(tcp_socket::shutdown_send, ec);
      co_return;
    }
    session.tls = true;
    beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls);
    beast::get_lowest_layer(stream).expires_after(session.limits.read_timeout);
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (handshake_ec) {
      log::system().debug("{}: TLS handshake with {} failed: {}", key_, session.remote, handshake_ec.message());
      co_return;
    }
    co_await serve_frames(stream, session);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    co_await stream.async_shutdown(use_tuple);
  }

 private:
  // The listener's limits in the current generation; none (0) once the listener is gone from it.
  TcpLimits current_limits() const {
    auto generation = host_.generation();
    const auto* plan = generation ? static_cast<const TcpListenerPlan*>(generation->listener_plan(key_)) : nullptr;
    return plan ? plan->limits : TcpLimits{0, 0};
  }

  std::string key_;
  Host& host_;
};

}  // namespace

std::shared_ptr<ConnectionHandler> make_tcp_connection_handler(std::string key, Host& host) {
  return std::make_shared<TcpConnectionHandler>(std::move(key), host);
}

}  // namespace qiao::tcp
