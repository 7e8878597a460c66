#include "core/store/queue_write.hpp"

namespace qiao {

QueueWrite QueueWrite::enqueue(std::vector<Delivery> deliveries, DeliveriesStored done) {
  QueueWrite write;
  write.deliveries = std::move(deliveries);
  write.enqueued = std::move(done);
  return write;
}

QueueWrite QueueWrite::change(std::vector<DeliveryChange> changes, ChangesStored done) {
  QueueWrite write;
  write.changes = std::move(changes);
  write.changed = std::move(done);
  return write;
}

QueueWrite QueueWrite::claim_key(IdempotencyClaim claim, IdempotencyClaimed done) {
  QueueWrite write;
  write.claim = std::move(claim);
  write.claimed = std::move(done);
  return write;
}

QueueWrite QueueWrite::claim_deliveries(DeliveriesClaimed done) {
  QueueWrite write;
  write.claimed_deliveries = std::move(done);
  return write;
}

QueueWrite QueueWrite::release_deliveries(ChangesStored done) {
  QueueWrite write;
  write.release_keys = true;
  write.changed = std::move(done);
  return write;
}

QueueWrite QueueWrite::settle_key(IdempotencySettle settle, std::vector<Delivery> deliveries, DeliveriesStored done) {
  QueueWrite write;
  write.settle = std::move(settle);
  write.deliveries = std::move(deliveries);
  write.enqueued = std::move(done);
  return write;
}

void answer_queue_writes(std::vector<QueueWrite>& writes, const std::string& error) {
  const Error failed{ErrorKind::unavailable, error};
  for (QueueWrite& write : writes) {
    if (write.enqueued) {
      if (error.empty()) write.enqueued(std::move(write.deliveries));
      else write.enqueued(failed);
    } else if (write.changed) {
      if (error.empty()) write.changed(Ok{});
      else write.changed(failed);
    } else if (write.claimed) {
      if (error.empty()) write.claimed(std::move(write.claim_result));
      else write.claimed(failed);
    } else if (write.claimed_deliveries) {
      if (error.empty()) write.claimed_deliveries(std::move(write.delivery_claim));
      else write.claimed_deliveries(failed);
    }
  }
  writes.clear();
}

}  // namespace qiao
