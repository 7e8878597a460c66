#pragma once
// A worker is one thread with its own io_context and its own Lua states. Code that runs on a
// worker learns which one through current_worker(), so per-worker state needs no locks.

#include <cstddef>

namespace boost::asio {
class io_context;
}

namespace qiao {

struct Worker {
  std::size_t index = 0;
  boost::asio::io_context* io = nullptr;
};

// The worker the calling thread runs; index 0 and no io_context outside the runtime's threads.
const Worker& current_worker();
// Called once by each worker thread (and by tests that drive an io_context themselves).
void set_current_worker(const Worker& worker);

}  // namespace qiao
