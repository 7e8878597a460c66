#pragma once
// One unit of work as it travels through a flow.

#include <chrono>
#include <memory>
#include <string>

#include "core/codec.hpp"
#include "core/value.hpp"

namespace qiao {

struct Message {
  std::string id;        // unique per gateway node, sortable by arrival time
  std::string trace_id;  // from the sender when it gave one, else the message id
  std::string flow_id;
  Object source;   // protocol facts: kind, method, path, query, remote address …
  Object headers;  // protocol headers, values as strings
  Buffer raw;      // the bytes as received
  Value body;      // raw decoded by the flow's codec
  Object vars;     // the flow's own data (results of calls land here)
  // Set by a source whose protocol wraps every reply (a SOAP envelope for the operation the
  // request named): it encodes the reply instead of the flow's or the reply step's codec.
  std::shared_ptr<const Codec> reply_codec;
  // Accepted with `accept: stored`: its sender was answered when it was stored, and this run
  // is from the flow's inbound queue.
  bool stored_on_arrival = false;
  std::chrono::system_clock::time_point received_at = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// A fresh message id: milliseconds since the epoch and a per-process sequence, in hex, so ids
// sort by arrival and never repeat within one node.
std::string next_message_id();

}  // namespace qiao
