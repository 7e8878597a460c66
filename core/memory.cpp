#include "core/memory.hpp"

#include <malloc.h>

#include <cstddef>

// jemalloc's control interface, declared weak: core is linked into programs with and without
// jemalloc (the sanitizers bring their own allocator), and the one that links it resolves this.
extern "C" int mallctl(const char* name, void* old_value, std::size_t* old_size, void* new_value, std::size_t new_size)
    __attribute__((weak));

namespace qiao::memory {

namespace {

bool on_jemalloc() { return mallctl != nullptr; }

}  // namespace

std::string_view allocator_name() { return on_jemalloc() ? "jemalloc" : "glibc"; }

void tune_allocator() {
  // jemalloc keeps freed pages for reuse and returns them after a decay time on its own.
  if (on_jemalloc()) return;
  // A gateway decodes messages of tens to hundreds of KB all day. glibc's defaults hand such
  // buffers back to the kernel after each message and fault them in again for the next one,
  // which profiles showed costing more than the parsing itself; keep them in the process
  // instead. What a burst leaves behind goes back once it is over (release_free_memory).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
}

void release_free_memory() {
  if (on_jemalloc()) {
    // 4096 is MALLCTL_ARENAS_ALL: every arena's unused dirty pages, now rather than after the decay.
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
    return;
  }
  // Walks every arena, the workers' included, and returns their free pages.
  ::malloc_trim(0);
}

}  // namespace qiao::memory
