#include "core/net/descriptor_budget.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace qiao {

namespace {

// setrlimit refuses an RLIMIT_NOFILE above fs.nr_open, "unlimited" included.
std::size_t kernel_descriptor_ceiling() {
  std::ifstream in("/proc/sys/fs/nr_open");
  std::size_t n = 0;
  if (in >> n && n > 0) return n;
  return 1024 * 1024;  // the kernel's default nr_open
}

std::string how_to_raise() { return "raise the hard limit (ulimit -Hn, systemd LimitNOFILE=)"; }

}  // namespace

std::size_t descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_max == RLIM_INFINITY) return kernel_descriptor_ceiling();
  return static_cast<std::size_t>(limit.rlim_max);
}

std::size_t listener_descriptor_budget(std::size_t limit) {
  const std::size_t kept = reserved_descriptors + admin_max_connections;
  return limit > kept ? limit - kept : 0;
}

std::size_t default_max_connections(std::size_t nominal) {
  return std::max<std::size_t>(1, std::min(nominal, listener_descriptor_budget(descriptor_limit())));
}

Expected<DescriptorLimit> raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return make_error(ErrorKind::internal, std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  DescriptorLimit result{static_cast<std::size_t>(limit.rlim_cur), static_cast<std::size_t>(limit.rlim_cur)};
  const auto target = static_cast<rlim_t>(descriptor_limit());
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= target) return result;
  limit.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
    return make_error(ErrorKind::internal, "cannot raise the open file limit from " + std::to_string(result.before) +
                                               " to " + std::to_string(target) + ": " + std::strerror(errno));
  result.now = static_cast<std::size_t>(target);
  return result;
}

void check_listeners_fit_descriptor_limit(std::span<const ListenerDescriptorClaim> claims, std::size_t limit,
                                          Diagnostics& diag) {
  if (claims.empty()) return;
  const std::size_t budget = listener_descriptor_budget(limit);
  const std::string kept = std::to_string(reserved_descriptors) + " kept for the gateway's own files and " +
                           std::to_string(admin_max_connections) + " for the admin API";
  if (budget == 0) {
    diag.error("the open file limit " + std::to_string(limit) +
               " leaves no descriptor for the listeners' connections (" + kept + "); " + how_to_raise());
    return;
  }
  std::size_t set_total = 0;
  const ListenerDescriptorClaim* largest = nullptr;
  for (const auto& claim : claims) {
    if (!claim.set_at) continue;
    set_total += claim.max_connections;
    if (!largest || claim.max_connections > largest->max_connections) largest = &claim;
  }
  if (set_total <= budget) return;
  std::string message =
      "max_connections: " + largest->listener + " may hold " + std::to_string(largest->max_connections);
  if (set_total != largest->max_connections)
    message += " (the listeners that set max_connections: " + std::to_string(set_total) + " together)";
  message += ", but the open file limit " + std::to_string(limit) + " leaves " + std::to_string(budget) +
             " descriptors for listeners (" + kept + "); lower max_connections, or " + how_to_raise();
  diag.error(*largest->set_at, message);
}

}  // namespace qiao
