#pragma once
// What one tcp listener does in one generation: its framing, how it answers, its limits, and the
// flow that takes its messages (one flow per address: a TCP port has no path to route on).

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "adapters/tcp/framing/framing.hpp"
#include "core/source.hpp"

namespace qiao {
class Flow;
class ProtocolAnswers;
}  // namespace qiao

namespace qiao::tcp {

enum class AckMode {
  automatic,  // ack: auto — the source acknowledges with the codec's answers (HL7: AA/AE/AR), not the flow's reply
  flow,       // ack: flow — the flow's reply is the answer (HL7: the flow builds the ACK)
  none,       // ack: none — nothing is sent back
};

struct TcpLimits {
  std::size_t max_connections = 1000;  // unset in the config: this, or what the open file limit leaves
  std::size_t max_connections_per_address = 256;
  std::chrono::milliseconds idle_timeout{3'600'000};  // between messages
  std::chrono::milliseconds read_timeout{30'000};     // from a message's first byte to its last
  std::chrono::milliseconds write_timeout{30'000};
};

class TcpListenerPlan final : public ListenerPlan {
 public:
  const Flow* flow = nullptr;
  Framing framing;
  AckMode ack = AckMode::flow;
  // The flow's codec's own answers (HL7 ACKs, ISO 8583 field 39), null when its format has none.
  const ProtocolAnswers* answers = nullptr;
  bool acknowledges = false;             // answers acknowledge an accepted message (HL7), so ack: auto can work
  std::optional<std::string> keepalive;  // a payload echoed without reaching the flow
  TcpLimits limits;                      // copied for every accepted connection: keep it plain numbers
  std::optional<Location> max_connections_set_at;
  std::shared_ptr<boost::asio::ssl::context> tls;

  ListenerConnections connections() const override { return {limits.max_connections, max_connections_set_at}; }
};

}  // namespace qiao::tcp
