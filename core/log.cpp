#include "core/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "core/log_drops.hpp"
#include "core/thread_name.hpp"

namespace qiao::log {

namespace {

struct Loggers {
  std::shared_ptr<spdlog::logger> system;
  std::shared_ptr<spdlog::logger> business;
};

// Lines the system log may hold while its thread writes; a worker never waits for room. spdlog
// builds every slot up front (408 bytes each), so this is resident memory from the start: 65536
// lines were 27 MiB of an idle gateway's 45. The thread writes far faster than workers log, even
// when every message fails; a longer stall drops the oldest lines and says how many.
constexpr std::size_t system_queue_lines = 8192;

Loggers& loggers() {
  static Loggers instance = [] {
    Loggers l;
    l.system = std::make_shared<spdlog::logger>("system", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    l.system->set_level(spdlog::level::warn);
    l.business = std::make_shared<spdlog::logger>("business", std::make_shared<spdlog::sinks::null_sink_mt>());
    return l;
  }();
  return instance;
}

}  // namespace

std::string setup(const Settings& settings) {
  const auto level = spdlog::level::from_str(settings.level);
  if (spdlog::level::to_string_view(level) != settings.level && settings.level != "warn" && settings.level != "error") {
    return "log level '" + settings.level + "' is not one of trace, debug, info, warn, error";
  }
  try {  // spdlog reports file errors only by throwing
    spdlog::init_thread_pool(system_queue_lines, 1, [] { name_this_thread("qiao-log"); });
    std::vector<spdlog::sink_ptr> system_sinks;
    if (settings.console) system_sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    std::shared_ptr<spdlog::logger> business;
    if (!settings.dir.empty()) {
      std::filesystem::create_directories(settings.dir);
      constexpr std::size_t max_file = 64u << 20;
      system_sinks.push_back(
          std::make_shared<spdlog::sinks::rotating_file_sink_mt>(settings.dir + "/system.log", max_file, 10));
      // Written by the worker into the file's stdio buffer, flushed each second or when the
      // buffer fills (as nginx buffers its access log): a hand-off to a logging thread per
      // message costs a wake-up each, which on a small machine is worth more than the copy.
      business = std::make_shared<spdlog::logger>("business", std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                                                                  settings.dir + "/business.log", max_file, 20));
      business->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %v");
    } else {
      business = std::make_shared<spdlog::logger>("business", std::make_shared<spdlog::sinks::null_sink_mt>());
    }
    auto sink =
        std::make_shared<DropReportingSink>(std::move(system_sinks), *spdlog::thread_pool(), system_queue_lines);
    auto system = std::make_shared<spdlog::async_logger>("system", std::move(sink), spdlog::thread_pool(),
                                                         spdlog::async_overflow_policy::overrun_oldest);
    system->set_level(level);
    system->flush_on(spdlog::level::info);
    // flush_every reaches registered loggers only: without this the business log stayed in
    // the file buffer until shutdown (or 4 KiB later).
    for (const std::shared_ptr<spdlog::logger>& logger : {std::shared_ptr<spdlog::logger>(system), business}) {
      spdlog::drop(logger->name());
      spdlog::register_logger(logger);
    }
    spdlog::flush_every(std::chrono::seconds(1));
    loggers().system = std::move(system);
    loggers().business = std::move(business);
  } catch (const spdlog::spdlog_ex& e) {
    return std::string("cannot open logs in '") + settings.dir + "': " + e.what();
  } catch (const std::filesystem::filesystem_error& e) {
    return std::string("cannot create log directory '") + settings.dir + "': " + e.what();
  }
  return {};
}

void shutdown() {
  loggers().system->flush();
  loggers().business->flush();
}

std::uint64_t dropped_lines() {
  const auto pool = spdlog::thread_pool();
  return pool ? pool->overrun_counter() : 0;
}

spdlog::logger& system() { return *loggers().system; }
spdlog::logger& business() { return *loggers().business; }

}  // namespace qiao::log
