#pragma once

#include <string_view>

namespace qiao::memory {

// Which allocator the process runs on: "jemalloc" when the binary links it (the shipped build),
// "glibc" otherwise (sanitizer builds, the tests' own binaries).
std::string_view allocator_name();

// Tells the allocator how a gateway uses memory; call once at start, before the threads.
void tune_allocator();

// Hands the free pages a burst left behind back to the kernel.
void release_free_memory();

}  // namespace qiao::memory
