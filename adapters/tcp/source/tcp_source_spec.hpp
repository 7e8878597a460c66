#pragma once
// One flow's `tcp:` source block, as the tcp source parses it and the tcp listener kind reads it:
// a flow naming the tcp listener has this spec.

#include <optional>
#include <string>

#include "adapters/tcp/framing/framing.hpp"
#include "adapters/tcp/source/tcp_listener_plan.hpp"
#include "core/net/host_port.hpp"
#include "core/net/server_tls.hpp"
#include "core/source.hpp"

namespace qiao::tcp {

class TcpSourceSpec final : public SourceSpec {
 public:
  HostPort listen;
  Framing framing;
  std::optional<AckMode> ack;
  std::optional<std::string> keepalive;
  std::optional<ServerTlsSettings> tls;
  TcpLimits limits;
  std::optional<Location> max_connections_set_at;
  Location location;
  Location ack_location;

  ListenerAddress listener() const override { return {"tcp", listen.str()}; }
  std::string describe() const override {
    return std::string(framing.kind == FramingKind::mllp ? "mllp" : "tcp") + (tls ? "+tls " : " ") + listen.str() +
           " (" + framing.describe() + ")";
  }
};

}  // namespace qiao::tcp
