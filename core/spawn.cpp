#include "core/spawn.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace qiao {

namespace {
std::atomic<Metrics*> spawn_metrics{nullptr};
}

void set_spawn_metrics(Metrics* metrics) { spawn_metrics.store(metrics); }

void spawn(boost::asio::io_context& io, boost::asio::awaitable<void> task, std::string what) {
  boost::asio::co_spawn(io, std::move(task), [what = std::move(what)](std::exception_ptr escaped) {
    if (!escaped) return;
    if (Metrics* m = spawn_metrics.load()) m->count_escaped_exception();
    try {
      std::rethrow_exception(escaped);
    } catch (const std::exception& e) {
      log::system().error("{}: unexpected exception: {}", what, e.what());
    } catch (...) {
      log::system().error("{}: unexpected exception of unknown type", what);
    }
  });
}

}  // namespace qiao
