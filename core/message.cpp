#include "core/message.hpp"

#include <atomic>
#include <cstdio>

namespace qiao {

std::string next_message_id() {
  static std::atomic<std::uint64_t> sequence{0};
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const std::uint64_t seq = sequence.fetch_add(1, std::memory_order_relaxed);
  char out[32];
  std::snprintf(out, sizeof out, "%011llx%06llx", static_cast<unsigned long long>(ms),
                static_cast<unsigned long long>(seq & 0xffffff));
  return out;
}

}  // namespace qiao
