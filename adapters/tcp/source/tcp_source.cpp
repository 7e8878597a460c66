#include "adapters/tcp/source/tcp_source.hpp"

#include <algorithm>

#include "adapters/tcp/source/tcp_source_spec.hpp"
#include "core/net/descriptor_budget.hpp"
#include "core/net/host_port.hpp"
#include "core/net/server_tls.hpp"
#include "core/text/hex.hpp"

namespace qiao::tcp {

namespace {

constexpr ConfigKey source_keys[] = {
    {"listen", KeyType::string, "", "address to listen on, host:port (port 0 picks a free one)", true},
    {"framing", KeyType::any, "mllp",
     "mllp, close, newline, crlf, etx, or {length: 2, encoding: binary|ascii|bcd, "
     "includes_self, adjust}, {delimiter: \"\\n\"}, {fixed: 512}"},
    {"ack", KeyType::string, "",
     "auto (the source acknowledges, with a codec whose protocol does: hl7v2), flow (the "
     "flow's reply is the answer) or none; default auto where the codec acknowledges, else flow"},
    {"keepalive_hex", KeyType::string, "",
     "a payload (hex; \"\" for an empty frame) echoed back without reaching the flow"},
    {"max_frame", KeyType::size, "1MiB", "largest message; a larger one is refused and the connection closed"},
    {"tls", KeyType::mapping, "", "TLS: cert, key, and client_ca for client certificates"},
    {"max_connections", KeyType::integer, "1000",
     "open connections at most; more are closed at once (unset: 1000, or what the open file limit leaves if less)"},
    {"max_connections_per_address", KeyType::integer, "256",
     "open connections from one client IP at most; more are closed at once"},
    {"idle_timeout", KeyType::duration, "1h", "how long a connection may wait between messages"},
    {"read_timeout", KeyType::duration, "30s", "how long one message may take to arrive once it has begun"},
    {"write_timeout", KeyType::duration, "30s", "how long writing one answer may take"},
};

class TcpSourceKind final : public SourceKind {
 public:
  std::string_view name() const override { return "tcp"; }
  std::string_view description() const override {
    return "TCP server: MLLP (HL7 v2 with automatic ACKs), length-prefixed, delimited or fixed-size messages";
  }
  Schema schema() const override { return source_keys; }

  std::unique_ptr<SourceSpec> parse(const ConfigNode& config, Diagnostics& diag) const override {
    const std::size_t errors_before = diag.errors().size();
    ConfigReader reader(config, source_keys, diag, "tcp source");
    auto spec = std::make_unique<TcpSourceSpec>();
    spec->location = config.location();
    if (reader.has("listen")) {
      auto address = parse_host_port(reader.string("listen"));
      if (!address)
        diag.error(reader.node("listen")->location(),
                   "listen: expected host:port, found '" + reader.string("listen") + "'");
      else spec->listen = *address;
    }
    const std::size_t max_frame = static_cast<std::size_t>(reader.size("max_frame"));
    if (auto node = reader.node("framing")) {
      if (auto framing = parse_framing(*node, max_frame, diag)) spec->framing = *framing;
    } else {
      spec->framing.max_frame = max_frame;
    }
    if (auto node = reader.node("ack")) {
      const std::string ack = reader.string("ack");
      spec->ack_location = node->location();
      if (ack == "auto") spec->ack = AckMode::automatic;
      else if (ack == "flow") spec->ack = AckMode::flow;
      else if (ack == "none") spec->ack = AckMode::none;
      else diag.error(node->location(), "ack: expected auto, flow or none, found '" + ack + "'");
    }
    if (auto node = reader.node("keepalive_hex")) {
      auto payload = from_hex(reader.string("keepalive_hex"), "keepalive_hex");
      if (!payload) diag.error(node->location(), payload.error().message);
      else spec->keepalive = std::move(*payload);
    }
    if (auto tls = reader.node("tls")) spec->tls = parse_server_tls(*tls, diag);
    if (reader.has("max_connections")) {
      spec->limits.max_connections =
          static_cast<std::size_t>(std::max<std::int64_t>(1, reader.integer("max_connections")));
      spec->max_connections_set_at = reader.node("max_connections")->location();
    } else {
      spec->limits.max_connections = default_max_connections(spec->limits.max_connections);
    }
    spec->limits.max_connections_per_address =
        static_cast<std::size_t>(std::max<std::int64_t>(1, reader.integer("max_connections_per_address")));
    spec->limits.idle_timeout = reader.duration("idle_timeout");
    spec->limits.read_timeout = reader.duration("read_timeout");
    spec->limits.write_timeout = reader.duration("write_timeout");
    if (diag.errors().size() != errors_before) return nullptr;
    return spec;
  }
};

}  // namespace

std::unique_ptr<SourceKind> make_tcp_source_kind() { return std::make_unique<TcpSourceKind>(); }

}  // namespace qiao::tcp
