// Store::claim_deliveries and release_deliveries for SQLite. One process owns a SQLite file: every
// queued row is this node's, there is no lease to renew and nobody to take over from or hand to.
// The first claim hands back every queued row (what a previous run left, as the delivery service
// used to load at start); later claims hand back nothing, since whatever is queued afterwards was
// queued by this process and handed to it then (enqueue, settle; a replay's rows are Delivery::held).

#include "core/store/sqlite_store.hpp"

namespace qiao {

void SqliteStore::claim_deliveries(DeliveriesClaimed done) {
  // An empty change is answered on the writer thread once everything asked before it is
  // committed, so the read below sees each earlier enqueue and change.
  change({}, [this, done = std::move(done)](Status written) {
    if (!written) {
      done(std::move(written).error());
      return;
    }
    DeliveryClaim claim;
    if (queues_claimed_.exchange(true)) {
      done(std::move(claim));
      return;
    }
    DeliveryQuery queued;
    queued.state = DeliveryState::queued;
    queued.limit = 0;
    auto rows = deliveries(queued);
    if (!rows) {
      queues_claimed_.store(false);
      done(std::move(rows).error());
      return;
    }
    claim.deliveries = std::move(*rows);
    done(std::move(claim));
  });
}

void SqliteStore::release_deliveries(ChangesStored done) { change({}, std::move(done)); }

}  // namespace qiao
