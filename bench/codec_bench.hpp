#pragma once
// What every codec benchmark does around its loop: setup that must succeed, and the counters it
// reports (bytes/s of the wire text, items/s of messages or records).

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "core/error.hpp"

namespace qiao::bench {

// The value of a setup step, or the program stops: timing a call that fails measures nothing.
// `what` completes "benchmark …: reason", e.g. "body does not decode".
template <class T>
T must(Expected<T> result, const char* what) {
  if (!result) {
    std::fprintf(stderr, "benchmark %s: %s\n", what, result.error().message.c_str());
    std::abort();
  }
  return std::move(result).value();
}

// After the loop: `bytes` and `items` are what one iteration handled.
inline void count_throughput(benchmark::State& state, std::size_t bytes, std::int64_t items = 1) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * items);
}

}  // namespace qiao::bench
