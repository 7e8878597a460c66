#pragma once
// Counts the C++ allocations (operator new) the calling thread makes, for the tests that hold the
// message path to its allocation budget. The replacement operators live in counting_allocator.cpp,
// linked only into qiao_allocation_tests: the other test binaries keep the sanitizers' own.

#include <cstdint>

namespace qiao::testing {

std::uint64_t allocations_on_this_thread();

// Allocations made on this thread from construction to count().
class AllocationCounter {
 public:
  AllocationCounter() : start_(allocations_on_this_thread()) {}
  std::uint64_t count() const { return allocations_on_this_thread() - start_; }

 private:
  std::uint64_t start_;
};

}  // namespace qiao::testing
