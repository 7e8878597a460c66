#pragma once
// The acknowledgement an MLLP source with `ack: auto` sends on the flow's behalf: AA once the
// flow has succeeded, AR when the message could not be decoded or was rejected by a check, AE
// when the flow failed otherwise (the error text in MSA-3 and ERR-8).

#include <string>
#include <string_view>

#include "core/codec.hpp"
#include "core/error.hpp"

namespace qiao::tcp {

// "AA", "AR" or "AE" for an outcome (`failure` null when the flow succeeded).
std::string_view ack_code(const Error* failure);

// The ACK bytes for the message `raw`, encoded with `codec` (the flow's hl7v2 codec, so the
// charset matches). Built from the first MSH segment alone, so a message too broken to decode
// still gets its AR. Empty when no acknowledgement is due: the message is itself an ACK, or its
// MSH-15/MSH-16 ask for none with this outcome.
std::string auto_ack(const Codec& codec, std::string_view raw, const Error* failure);

}  // namespace qiao::tcp
