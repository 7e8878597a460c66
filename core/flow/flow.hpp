#pragma once
// A flow is one transaction module: a source, an ordered list of steps, and how to reply.

#include <memory>
#include <optional>
#include <string>

#include "core/codec.hpp"
#include "core/config/diagnostics.hpp"
#include "core/flow/accept.hpp"
#include "core/flow/idempotency.hpp"
#include "core/flow/journal.hpp"
#include "core/flow/reply.hpp"
#include "core/flow/step.hpp"
#include "core/source.hpp"

namespace qiao {

class FlowStats;

class Flow {
 public:
  std::string id;
  std::string description;
  Location location;
  const SourceKind* source_kind = nullptr;
  std::unique_ptr<SourceSpec> source;
  std::string decode_name;              // as written, for /api/flows
  std::shared_ptr<const Codec> decode;  // null: the body is the raw bytes, as a string
  std::shared_ptr<const Codec> encode;  // replies; the decode codec unless `encode:` says otherwise
  Steps steps;
  ReplySpec reply;                             // the flow's final reply, when no step replied
  std::optional<IdempotencySpec> idempotency;  // a repeated business key gets the first answer again
  JournalSpec journal;                         // what the journal keeps of its messages
  std::optional<AcceptStored> accept_stored;   // answer once stored, run from the inbound queue
  FlowStats* stats = nullptr;                  // owned by Metrics; survives reloads under the same id
};

}  // namespace qiao
