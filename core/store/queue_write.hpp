#pragma once
// What a store's writer thread takes besides journal entries: the queue and idempotency writes
// of Store::enqueue, change, claim and settle, each with the callback that hears, after the
// batch that holds it committed or failed, what became of it.

#include <optional>
#include <vector>

#include "core/store/deliveries.hpp"
#include "core/store/idempotency.hpp"

namespace qiao {

struct QueueWrite {
  std::vector<Delivery> deliveries;
  DeliveriesStored enqueued;  // set for an enqueue, and for a settle
  std::vector<DeliveryChange> changes;
  ChangesStored changed;  // set for changes
  std::optional<IdempotencyClaim> claim;
  IdempotencyClaimResult claim_result;  // filled by the writer
  IdempotencyClaimed claimed;           // set for a claim
  std::optional<IdempotencySettle> settle;
  DeliveriesClaimed claimed_deliveries;  // set for a claim of deliveries
  DeliveryClaim delivery_claim;          // filled by the writer
  bool release_keys = false;             // with `changed`: give this node's queue keys up

  static QueueWrite enqueue(std::vector<Delivery> deliveries, DeliveriesStored done);
  static QueueWrite change(std::vector<DeliveryChange> changes, ChangesStored done);
  static QueueWrite claim_key(IdempotencyClaim claim, IdempotencyClaimed done);
  static QueueWrite claim_deliveries(DeliveriesClaimed done);
  static QueueWrite release_deliveries(ChangesStored done);
  static QueueWrite settle_key(IdempotencySettle settle, std::vector<Delivery> deliveries, DeliveriesStored done);
};

// Calls every write's callback: with its result when the batch committed (`error` empty), else
// with an `unavailable` Error saying why. Leaves `writes` empty.
void answer_queue_writes(std::vector<QueueWrite>& writes, const std::string& error);

}  // namespace qiao
