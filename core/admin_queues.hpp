#pragma once
// The admin API's queue resources:
//   GET  /api/queues                 per endpoint: depth, in flight, oldest, delivered, retries, dead letters
//   GET  /api/queues/dead            dead letters with every attempt: ?endpoint=&id=1,2&error=&since=&until=&limit=
//   POST /api/queues/dead/replay     queue the matching dead letters again; &dry_run=1 only lists them
//   POST /api/queues/dead/discard    remove them
// replay and discard take the same filters and refuse to act on everything unless `all=1` says so.

#include <string_view>

#include "core/admin.hpp"

namespace qiao {

class DeliveryService;

// Blocks on the store: run off the worker.
AdminResponse queues_resource(DeliveryService& deliveries, std::string_view method, std::string_view path,
                              std::string_view query);

}  // namespace qiao
