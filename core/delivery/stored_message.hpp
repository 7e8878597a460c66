#pragma once
// A message accepted with `accept: stored`, as its inbound queue keeps it until the flow runs:
// what the source received (id, trace, protocol facts and headers, the raw bytes, and the body
// when the source decoded it itself), in the queue's request format, so the run after a
// restart sees the message the sender sent.

#include "core/endpoint.hpp"
#include "core/error.hpp"
#include "core/message.hpp"

namespace qiao {

// `source_body`: the body a source decoded (a SOAP envelope's payload); null when the flow's
// codec decodes the raw bytes, which are then not kept twice.
CallRequest stored_message(const Message& msg, const Value& source_body);
// Fails (ErrorKind::internal) on a request stored_message did not make: a damaged row.
Expected<Message> restored_message(const CallRequest& stored);

}  // namespace qiao
