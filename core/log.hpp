#pragma once
// Two logs: the system log (start-up, reloads, errors), written by a background thread that no
// worker ever waits for (a full queue drops a line, counted, and says so later), and the
// business log (one line per message: flow, id, outcome, status, latency, sender), buffered in
// memory and written in blocks at least once a second.

#include <cstdint>
#include <string>

namespace spdlog {
class logger;
}

namespace qiao::log {

struct Settings {
  std::string dir;             // empty: system log to stderr only, no business log file
  std::string level = "info";  // trace, debug, info, warn, error
  bool console = true;         // also print the system log to stderr
};

// Replaces the loggers; call before workers start. Returns an error text, or empty.
std::string setup(const Settings& settings);
void shutdown();

// System log lines lost because its queue was full (a worker never waits to log).
std::uint64_t dropped_lines();

spdlog::logger& system();
spdlog::logger& business();

}  // namespace qiao::log
