#pragma once
// One unit of work as it travels through a flow.

#include <chrono>
#include <string>

#include "core/value.hpp"

namespace qiao {

struct Message {
  std::string id;        // unique per gateway node, sortable by arrival time
  std::string trace_id;  // from the sender when it gave one, else the message id
  std::string flow_id;
  Object source;         // protocol facts: kind, method, path, query, remote address …
  Object headers;        // protocol headers, values as strings
  Buffer raw;            // the bytes as received
  Value body;            // raw decoded by the flow's codec
  Object vars;           // the flow's own data (results of calls land here)
  std::chrono::system_clock::time_point received_at = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// A fresh message id: milliseconds since the epoch and a per-process sequence, in hex, so ids
// sort by arrival and never repeat within one node.
std::string next_message_id();

}  // namespace qiao
