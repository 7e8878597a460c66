#pragma once
// A queued delivery keeps its request as bytes in the store until the endpoint takes it, which
// may be after a restart. The Value tree goes in whole, types included (a Decimal stays the text
// "12.50", Bytes stay bytes), because no codec of ours keeps every type: JSON has no bytes, HL7
// no numbers. The format is ours and versioned by its first byte; a newer build reads older rows.

#include <string>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/error.hpp"

namespace qiao {

std::string encode_request(const CallRequest& request);
// Fails (ErrorKind::internal) on bytes that encode_request did not write: a damaged store row.
Expected<CallRequest> decode_request(std::string_view bytes);

}  // namespace qiao
