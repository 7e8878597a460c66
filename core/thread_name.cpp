#include "core/thread_name.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstring>

namespace qiao {

void name_this_thread(std::string_view name) {
  char cut[16];
  const std::size_t n = std::min(name.size(), sizeof cut - 1);
  std::memcpy(cut, name.data(), n);
  cut[n] = '\0';
  // Fails only for a name over 15 bytes, which `cut` never is; a thread without a name works the same.
  (void)pthread_setname_np(pthread_self(), cut);
}

}  // namespace qiao
