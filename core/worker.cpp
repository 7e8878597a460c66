#include "core/worker.hpp"

namespace qiao {

namespace {
thread_local Worker this_worker;
}

const Worker& current_worker() { return this_worker; }
void set_current_worker(const Worker& worker) { this_worker = worker; }

}  // namespace qiao
