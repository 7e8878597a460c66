#include "core/log_drops.hpp"

#include <string>
#include <utility>

namespace qiao::log {

DropReportingSink::DropReportingSink(std::vector<spdlog::sink_ptr> sinks, spdlog::details::thread_pool& pool,
                                     std::size_t capacity)
    : dist_sink(std::move(sinks)), pool_(pool), capacity_(capacity) {}

void DropReportingSink::sink_it_(const spdlog::details::log_msg& msg) {
  const std::size_t lost = pool_.overrun_counter();
  if (lost > reported_ && pool_.queue_size() < capacity_ / 2) {
    const std::string text = std::to_string(lost - reported_) + " log lines dropped: the system log's queue was full";
    dist_sink::sink_it_(spdlog::details::log_msg(msg.logger_name, spdlog::level::warn, text));
    reported_ = lost;
  }
  dist_sink::sink_it_(msg);
}

}  // namespace qiao::log
