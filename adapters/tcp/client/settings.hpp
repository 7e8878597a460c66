#pragma once
// Everything a tcp endpoint needs, parsed and checked once per generation and shared (const)
// by every worker's connections.

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "adapters/tcp/client/correlation.hpp"
#include "adapters/tcp/client/peer.hpp"
#include "adapters/tcp/framing/framing.hpp"
#include "core/endpoint.hpp"
#include "core/net/client_tls.hpp"

namespace qiao::tcp {

enum class ConnectionMode {
  short_lived,  // a connection per call: connect, write, read one reply, close
  long_lived,   // persistent connections per worker, reconnected with backoff
};

struct Heartbeat {
  std::chrono::milliseconds interval{0};
  std::string payload;  // the frame's payload; empty by default (e.g. a bare length prefix 0000)
};

struct Backoff {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{30'000};
  // The wait before attempt number `failures` + 1 (failures >= 1): initial, 2×, 4× … up to max.
  std::chrono::milliseconds after(unsigned failures) const;
};

// Counted over the endpoint's life on all workers; logged with each event.

struct TcpSettings {
  EndpointCommon common;
  Peer peer;
  Framing framing;
  ConnectionMode mode = ConnectionMode::long_lived;
  Correlation correlation;  // enabled: multiplexed; otherwise one request at a time per connection
  std::optional<Heartbeat> heartbeat;
  std::chrono::milliseconds idle_timeout{0};  // 0: long connections stay open
  Backoff reconnect;
  std::optional<ClientTlsSettings> tls;
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  bool check_ack = false;
  std::size_t max_in_flight = 1024;  // multiplexed: requests waiting on one connection
  // Replies no request was waiting for (late ones included): qiao_endpoint_events_total.
  std::atomic<std::uint64_t>* unmatched_replies = nullptr;

  bool multiplexed() const { return correlation.enabled(); }
  const ClientTlsSettings* tls_options() const { return tls ? &*tls : nullptr; }

  Error fail(ErrorKind kind, const std::string& what) const {
    return make_error(kind, "endpoint '" + common.name + "': " + what);
  }
  Error timed_out(const std::string& detail) const {
    return fail(ErrorKind::timeout, "no reply from " + peer.text + " within " + std::to_string(common.timeout.count()) +
                                        " ms" + (detail.empty() ? std::string() : " (" + detail + ")"));
  }
};

}  // namespace qiao::tcp
