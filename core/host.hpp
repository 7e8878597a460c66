#pragma once
// What the running gateway offers to sources: the current generation, the engine, the threads,
// and the gate shutdown works through (core/gate.hpp).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/gate.hpp"

namespace boost::asio {
class io_context;
}

namespace qiao {

class Engine;
class Generation;

class Host {
 public:
  virtual ~Host() = default;
  virtual std::shared_ptr<const Generation> generation() const = 0;
  virtual Engine& engine() = 0;
  // Where listeners accept; accepted connections then move to next_worker().
  virtual boost::asio::io_context& acceptor_context() = 0;
  virtual boost::asio::io_context& next_worker() = 0;
  virtual Gate& gate() = 0;
};

}  // namespace qiao
