#include "adapters/tcp/client/tcp_endpoint.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cassert>

#include "adapters/tcp/client/long_pool.hpp"
#include "adapters/tcp/client/request_reply.hpp"
#include "adapters/tcp/client/settings.hpp"
#include "adapters/tcp/client/short_call.hpp"
#include "core/metrics.hpp"
#include "core/protocol_answers.hpp"
#include "core/text/hex.hpp"
#include "core/worker.hpp"

namespace qiao::tcp {

namespace {

namespace asio = boost::asio;

constexpr std::size_t default_max_frame = 1024 * 1024;

constexpr ConfigKey tcp_keys[] = {
    {"connect", KeyType::string, "", "The peer: host:port (\"127.0.0.1:5000\", \"[::1]:2575\", \"lis.local:2575\").",
     true},
    {"framing", KeyType::any, "",
     "How messages are delimited: mllp, close (short mode: the reply is everything until the peer closes), newline, "
     "crlf, etx, or a mapping {length: 2, encoding: binary|ascii|bcd, includes_self, adjust}, {delimiter: \"\\x03\"}, "
     "{fixed: 512}.",
     true},
    {"max_frame", KeyType::size, "1MiB", "Largest reply payload; a larger one is refused and the connection closed."},
    {"mode", KeyType::string, "long",
     "short: a connection per call. long: persistent connections per worker (up to the endpoint's pool), "
     "reconnected with backoff."},
    {"correlate", KeyType::any, "",
     "Long mode: share connections among many calls in flight, matching each reply to its request by fields both "
     "carry: a list of top-level keys or dotted paths ([11, 41] for ISO 8583 STAN and terminal id), or hl7 "
     "(request MSH-10 against reply MSA-2). Absent: one call at a time per connection."},
    {"heartbeat", KeyType::mapping, "",
     "Long mode: after `interval` without traffic, send a frame with payload `payload_hex` (hex; default empty, e.g. a "
     "bare length prefix). A reply frame equal to that payload is taken as the peer's answer and matched to no call."},
    {"idle_timeout", KeyType::duration, "0s",
     "Long mode: close a connection when no call has used it for this long; 0 keeps connections open."},
    {"reconnect", KeyType::mapping, "",
     "Long mode: wait between failed connection attempts, doubling from `initial` (100ms) up to `max` (30s)."},
    {"tls", KeyType::mapping, "",
     "TLS to the peer: verify (default true), ca (PEM CA file; default the system trust store), server_name (name "
     "to verify and send as SNI; default the connect host), cert and key (PEM client certificate and key for mutual "
     "TLS). Relative paths are from the working directory."},
    {"check_ack", KeyType::boolean, "",
     "Let the reply decide the call, as the codec's protocol says (hl7v2: the reply is an ACK; MSA-1 AE/AR/CE/CR "
     "fails the call as `upstream` with MSA-3 or ERR-8 in the message, a flow can route on it; AA/CA succeed). "
     "Default: true with framing mllp and such a codec, else false."},
};

constexpr ConfigKey heartbeat_keys[] = {
    {"interval", KeyType::duration, "", "Send a heartbeat after this long without traffic.", true},
    {"payload_hex", KeyType::string, "", "The heartbeat payload as hex (framed like any message); default empty."},
};

constexpr ConfigKey reconnect_keys[] = {
    {"initial", KeyType::duration, "100ms", "Wait after the first failed attempt."},
    {"max", KeyType::duration, "30s", "Longest wait between attempts."},
};

asio::awaitable<Expected<CallResponse>> long_call(std::shared_ptr<const TcpSettings> settings,
                                                  std::shared_ptr<LongPool> pool, CallRequest request) {
  const TcpSettings& s = *settings;
  const auto deadline = Clock::now() + s.common.timeout;
  auto encoded = encode_request(s, request.body);
  if (!encoded) co_return std::move(encoded).error();
  std::string key;
  if (s.multiplexed()) {
    // The key is read from what goes on the wire, decoded again: the reply echoes the wire
    // form ("000123"), whatever the flow wrote (123).
    auto sent = s.common.codec->decode(make_buffer(encoded->payload));
    auto request_side = request_key(s.correlation, sent ? *sent : request.body);
    if (!request_side) co_return s.fail(ErrorKind::bad_input, "cannot correlate: " + request_side.error().message);
    key = std::move(*request_side);
  }
  auto executor = co_await asio::this_coro::executor;
  auto call = std::make_shared<PendingCall>(executor, deadline, std::move(key), std::move(encoded->frame));
  auto connection = co_await pool->submit(call);
  if (!connection) co_return std::move(connection).error();
  (void)co_await call->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!call->result) {
    (*connection)->abandon(call);
    co_return s.timed_out(call->written ? "" : "the request could not be sent");
  }
  co_return finish_call(s, std::move(*call->result));
}

class TcpEndpoint final : public Endpoint {
 public:
  TcpEndpoint(std::shared_ptr<const TcpSettings> settings, asio::io_context* io) : settings_(std::move(settings)) {
    if (settings_->mode == ConnectionMode::long_lived) {
      assert(io && "long tcp connections need the worker's io_context");
      pool_ = std::make_shared<LongPool>(settings_, *io);
    }
  }
  ~TcpEndpoint() override {
    if (pool_) LongPool::retire(std::move(pool_));
  }

  asio::awaitable<Expected<CallResponse>> call(CallRequest request) override {
    // The coroutines hold the settings and the pool themselves, so a call still in flight when
    // the endpoint goes away (end of a generation) finishes normally.
    if (!pool_) return short_call(settings_, std::move(request));
    return long_call(settings_, pool_, std::move(request));
  }

 private:
  std::shared_ptr<const TcpSettings> settings_;
  std::shared_ptr<LongPool> pool_;
};

class TcpEndpointSpec final : public EndpointSpec {
 public:
  explicit TcpEndpointSpec(std::shared_ptr<const TcpSettings> settings) : settings_(std::move(settings)) {}
  const EndpointCommon& common() const override { return settings_->common; }
  std::string describe() const override {
    const TcpSettings& s = *settings_;
    std::string text = "tcp " + s.peer.text + " " + s.framing.describe() + " " +
                       (s.mode == ConnectionMode::short_lived ? "short" : "long");
    if (s.multiplexed()) text += " multiplexed by " + s.correlation.describe();
    if (s.tls) text += " tls";
    return text;
  }
  std::unique_ptr<Endpoint> instantiate(const Worker& worker) const override {
    return std::make_unique<TcpEndpoint>(settings_, worker.io);
  }

 private:
  std::shared_ptr<const TcpSettings> settings_;
};

Location where(const ConfigReader& reader, std::string_view key, const ConfigNode& fallback) {
  auto node = reader.node(key);
  return node ? node->location() : fallback.location();
}

void parse_tls(const ConfigNode& node, const std::string& what, TcpSettings& settings, Diagnostics& diag) {
  const std::size_t errors_before = diag.errors().size();
  auto tls = parse_client_tls(node, node.location(), settings.peer.host, what, diag);
  if (diag.errors().size() != errors_before) return;
  auto context = make_client_tls_context(tls, node, node.location(), what, diag);
  if (!context) return;
  settings.tls = std::move(tls);
  settings.tls_context = std::move(context);
}

class TcpEndpointKind final : public EndpointKind {
 public:
  std::string_view name() const override { return "tcp"; }
  std::string_view description() const override {
    return "raw TCP client: MLLP, length-prefixed or delimited frames; short or long connections, pooled per worker, "
           "synchronous or multiplexed by correlation fields; heartbeats, reconnect with backoff, TLS, HL7 ACK check";
  }
  Schema schema() const override { return tcp_keys; }
  std::string_view default_codec() const override { return "hl7v2"; }

  std::shared_ptr<const EndpointSpec> parse(const ConfigNode& config, EndpointCommon common,
                                            Diagnostics& diag) const override {
    const std::string what = "endpoint '" + common.name + "': tcp";
    const std::size_t errors_before = diag.errors().size();
    ConfigReader reader(config, tcp_keys, diag, what);
    auto settings = std::make_shared<TcpSettings>();

    if (auto node = reader.node("connect"); node && node->is_scalar()) {
      auto peer = parse_peer(node->scalar());
      if (peer) settings->peer = std::move(*peer);
      else diag.error(node->location(), what + ": connect: expected host:port, found '" + node->scalar() + "'");
    }

    const auto max_frame = reader.has("max_frame") ? reader.size("max_frame") : default_max_frame;
    if (max_frame == 0) diag.error(where(reader, "max_frame", config), what + ": max_frame must be at least 1 byte");
    bool framing_ok = false;
    if (auto node = reader.node("framing")) {
      Diagnostics framing_diag;
      if (auto framing = parse_framing(*node, static_cast<std::size_t>(max_frame), framing_diag)) {
        settings->framing = *framing;
        framing_ok = true;
      }
      // parse_framing's messages start with "framing:"; say whose framing it is.
      for (const auto& error : framing_diag.errors()) {
        const auto at = error.find(": framing:");
        diag.error(at == std::string::npos ? error : error.substr(0, at) + ": " + what + ":" + error.substr(at + 1));
      }
    }

    const std::string mode = reader.string("mode");
    if (mode == "short") settings->mode = ConnectionMode::short_lived;
    else if (mode == "long") settings->mode = ConnectionMode::long_lived;
    else diag.error(where(reader, "mode", config), what + ": mode must be short or long, not '" + mode + "'");
    const bool long_mode = settings->mode == ConnectionMode::long_lived;

    if (framing_ok && long_mode && settings->framing.kind == FramingKind::close) {
      diag.error(where(reader, "framing", config),
                 what + ": framing close ends each reply with the connection; it needs mode: short");
    }

    if (auto node = reader.node("correlate")) {
      if (!long_mode) {
        diag.error(node->location(), what + ": correlate shares long connections among calls; it needs mode: long");
      } else if (auto correlation = parse_correlation(*node, common.codec.get(), diag)) {
        settings->correlation = std::move(*correlation);
      }
    }

    if (auto node = reader.node("heartbeat"); node && node->is_map()) {
      if (!long_mode)
        diag.error(node->location(), what + ": heartbeat keeps long connections alive; it needs mode: long");
      ConfigReader heartbeat(*node, heartbeat_keys, diag, what + ": heartbeat");
      Heartbeat beat;
      beat.interval = heartbeat.duration("interval");
      if (heartbeat.has("interval") && beat.interval.count() <= 0) {
        diag.error(heartbeat.node("interval")->location(), what + ": heartbeat: interval must be more than 0");
      }
      const std::string hex = heartbeat.string("payload_hex");
      if (auto bytes = from_hex(hex, "payload_hex")) {
        beat.payload = std::move(*bytes);
        if (framing_ok) {
          if (auto framed = frame(settings->framing, beat.payload); !framed) {
            diag.error(where(heartbeat, "payload_hex", *node), what + ": heartbeat: " + framed.error().message);
          }
        }
      } else {
        diag.error(where(heartbeat, "payload_hex", *node), what + ": heartbeat: " + bytes.error().message);
      }
      settings->heartbeat = std::move(beat);
    }

    settings->idle_timeout = reader.duration("idle_timeout");
    if (settings->idle_timeout.count() > 0 && !long_mode) {
      diag.error(where(reader, "idle_timeout", config),
                 what + ": idle_timeout closes long connections; it needs mode: long");
    }

    {
      auto node = reader.node("reconnect");
      ConfigReader reconnect(node && node->is_map() ? *node : ConfigNode(), reconnect_keys, diag, what + ": reconnect");
      settings->reconnect.initial = reconnect.duration("initial");
      settings->reconnect.max = reconnect.duration("max");
      if (settings->reconnect.initial.count() <= 0 || settings->reconnect.max < settings->reconnect.initial) {
        diag.error(node ? node->location() : config.location(),
                   what + ": reconnect: initial must be more than 0 and max at least initial");
      }
    }

    if (auto node = reader.node("tls"); node && node->is_map()) parse_tls(*node, what, *settings, diag);

    const ProtocolAnswers* answers = common.codec ? common.codec->answers() : nullptr;
    const bool judges = answers != nullptr && answers->judges_replies();
    settings->check_ack = reader.has("check_ack") ? reader.boolean("check_ack")
                                                  : judges && framing_ok && settings->framing.kind == FramingKind::mllp;
    if (settings->check_ack && !judges && common.codec)
      diag.error(reader.node("check_ack")->location(),
                 what + ": check_ack needs a codec whose replies say whether the peer accepted (hl7v2's ACKs)");

    if (!common.codec && diag.ok()) diag.error(config.location(), what + ": no codec for requests and replies");
    if (!common.codec) return nullptr;
    if (diag.errors().size() != errors_before) return nullptr;
    settings->unmatched_replies = &endpoint_event_counter(common.name, "unmatched_reply");
    settings->common = std::move(common);
    return std::make_shared<TcpEndpointSpec>(std::move(settings));
  }
};

}  // namespace

std::unique_ptr<EndpointKind> make_tcp_endpoint_kind() { return std::make_unique<TcpEndpointKind>(); }

}  // namespace qiao::tcp
