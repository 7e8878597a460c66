#pragma once
// The `tcp` endpoint kind: request-reply over raw TCP with a framing (MLLP, length prefix,
// delimiter, fixed, close), short or long connections, synchronous or multiplexed by
// correlation fields, heartbeats, reconnect with backoff, TLS, and HL7 ACK checking.
// See adapters/tcp/README.md ("Endpoint").

#include <memory>

#include "core/endpoint.hpp"

namespace qiao::tcp {

std::unique_ptr<EndpointKind> make_tcp_endpoint_kind();

}  // namespace qiao::tcp
