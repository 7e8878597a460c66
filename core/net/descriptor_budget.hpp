#pragma once
// File descriptors: every accepted connection is one. When the listeners' max_connections add up
// past the descriptor limit, accept fails for every listener at once (the admin API included)
// instead of refusing the excess one connection at a time; so `qiao run` raises its soft limit to
// the hard one, defaults are sized to fit, and limits a config sets are checked at load.

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "core/config/diagnostics.hpp"
#include "core/error.hpp"

namespace qiao {

// Descriptors for everything but listeners' connections: stdio, the store (database, WAL, shm),
// log files, each worker's epoll, event and timer descriptors, the listening sockets. Endpoints'
// pooled connections are not counted here: a site with many wide pools needs a higher limit.
inline constexpr std::size_t reserved_descriptors = 96;

// The admin API's own connections (admin_server.cpp), kept out of the data listeners' share so
// that /healthz and /metrics answer while those are full. It listens on loopback unless TLS is
// configured, so nearly every client has the same address.
inline constexpr std::size_t admin_max_connections = 64;

// The limit `qiao run` works under once it raised its soft limit: the hard RLIMIT_NOFILE (the
// kernel's fs.nr_open when the hard limit is unlimited). `qiao check` plans with the same number.
std::size_t descriptor_limit();

// What the data listeners' connections may take together under `limit`: what reserved_descriptors
// and the admin API leave; 0 when nothing is left.
std::size_t listener_descriptor_budget(std::size_t limit);

// The max_connections of a listener whose config does not set it: its kind's nominal default, or
// the whole budget under descriptor_limit() when that is smaller (at least 1). Defaults never fail
// a load; `qiao check` shows what each listener got.
std::size_t default_max_connections(std::size_t nominal);

struct DescriptorLimit {
  std::size_t before = 0;  // the soft limit qiao started with
  std::size_t now = 0;
};

// Raises the soft RLIMIT_NOFILE to descriptor_limit().
Expected<DescriptorLimit> raise_descriptor_limit();

// A listener's claim on descriptors, from its plan.
struct ListenerDescriptorClaim {
  std::string listener;  // its key, e.g. "tcp 0.0.0.0:2575"
  std::size_t max_connections = 0;
  std::optional<Location> set_at;  // where the config sets max_connections; empty for a default
};

// A load error, at the largest max_connections a config sets, when those set add up past the
// budget under `limit`, or when `limit` leaves no descriptor for listeners at all.
void check_listeners_fit_descriptor_limit(std::span<const ListenerDescriptorClaim> claims, std::size_t limit,
                                          Diagnostics& diag);

}  // namespace qiao
