#include "adapters/tcp/source/tcp_listener_kind.hpp"

#include "adapters/tcp/source/tcp_listener_plan.hpp"
#include "adapters/tcp/source/tcp_session.hpp"
#include "adapters/tcp/source/tcp_source_spec.hpp"
#include "core/flow/flow.hpp"
#include "core/net/host_port.hpp"
#include "core/net/server_tls.hpp"
#include "core/net/tcp_listener.hpp"
#include "core/protocol_answers.hpp"

namespace qiao::tcp {

namespace {

// Serves the flows whose source is a `tcp:` block (TcpSourceSpec): the only source that names
// this listener kind.
class TcpListenerKind final : public ListenerKind {
 public:
  std::string_view name() const override { return "tcp"; }

  std::shared_ptr<const ListenerPlan> plan(std::string_view key, std::span<const Flow* const> flows,
                                           Diagnostics& diag) const override {
    const Flow& flow = *flows.front();
    const auto& spec = static_cast<const TcpSourceSpec&>(*flow.source);
    for (const Flow* other : flows.subspan(1)) {
      diag.error(static_cast<const TcpSourceSpec&>(*other->source).location,
                 "flow '" + other->id + "' and flow '" + flow.id + "' both listen on " + std::string(key) +
                     "; a TCP listener feeds one flow (route inside it)");
    }
    auto plan = std::make_shared<TcpListenerPlan>();
    plan->flow = &flow;
    plan->framing = spec.framing;
    plan->keepalive = spec.keepalive;
    plan->limits = spec.limits;
    plan->max_connections_set_at = spec.max_connections_set_at;
    plan->answers = flow.decode ? flow.decode->answers() : nullptr;
    plan->acknowledges = plan->answers != nullptr && plan->answers->acknowledges();
    plan->ack = spec.ack.value_or(plan->acknowledges ? AckMode::automatic : AckMode::flow);
    if (plan->ack == AckMode::automatic && !plan->acknowledges)
      diag.error(spec.ack_location, "ack: auto acknowledges HL7 v2 messages; flow '" + flow.id +
                                        "' does not decode hl7v2 (use ack: flow and reply from the flow)");
    // A stored message is answered before its flow runs, so only an acknowledgement the
    // listener builds itself can be the answer: an HL7 AA. A POS waiting for its authorisation
    // (ISO 8583) or a flow that writes its own ACK needs the flow's reply.
    if (flow.accept_stored && (!plan->acknowledges || plan->ack == AckMode::flow))
      diag.error(spec.location, "flow '" + flow.id +
                                    "': accept: stored answers with the listener's own HL7 "
                                    "acknowledgement, so it needs decode: hl7v2 and ack: auto (or none)");
    if (spec.tls) {
      auto context = make_server_tls_context(*spec.tls);
      if (!context) {
        diag.error(spec.location, "listener " + std::string(key) + ": " + context.error().message);
        return nullptr;
      }
      plan->tls = *context;
    }
    return plan;
  }

  Expected<std::unique_ptr<Listener>> open(std::string_view key, const ListenerPlan& plan, Host& host) const override {
    (void)plan;
    const auto address = parse_host_port(key.substr(key.find(' ') + 1));
    if (!address) return make_error(ErrorKind::internal, "bad listener key " + std::string(key));
    return open_tcp_listener(*address, make_tcp_connection_handler(std::string(key), host), host, std::string(key));
  }
};

}  // namespace

std::unique_ptr<ListenerKind> make_tcp_listener_kind() { return std::make_unique<TcpListenerKind>(); }

}  // namespace qiao::tcp
