#pragma once
// Settings that belong to a listener, not to one flow (TLS, size limits, timeouts, connection
// count): any flow on an address may state them, but flows sharing the address must not
// disagree. Read by every source kind served on the HTTP server (http, soap).

#include <array>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "adapters/http/server/http_server.hpp"
#include "core/config/schema.hpp"
#include "core/net/server_tls.hpp"

namespace qiao::http {

inline constexpr std::array<ConfigKey, 9> listener_setting_keys{{
    {"tls", KeyType::mapping, "", "HTTPS: cert, key, and client_ca for mutual TLS (whole listener)"},
    {"max_body", KeyType::size, "1MiB", "largest request body; larger gets 413 (whole listener)"},
    {"max_header", KeyType::size, "16KiB", "largest request header; larger gets 431 (whole listener)"},
    {"idle_timeout", KeyType::duration, "60s",
     "how long a keep-alive connection may wait for a request (whole listener)"},
    {"header_timeout", KeyType::duration, "10s",
     "how long a request's whole header may take from its first byte, and a new connection to start one; later gets "
     "408 (whole listener)"},
    {"read_timeout", KeyType::duration, "30s", "how long reading one request may take (whole listener)"},
    {"write_timeout", KeyType::duration, "30s", "how long writing one reply may take (whole listener)"},
    {"max_connections", KeyType::integer, "10000",
     "open connections at most; more are closed at once (whole listener; unset: 10000, or what the open file limit "
     "leaves if less)"},
    {"max_connections_per_address", KeyType::integer, "256",
     "open connections from one client IP at most; more are closed at once (whole listener)"},
}};

// A source kind's own keys followed by the listener settings: one schema for its block.
template <std::size_t N>
constexpr std::array<ConfigKey, N + listener_setting_keys.size()> with_listener_settings(
    const std::array<ConfigKey, N>& own) {
  std::array<ConfigKey, N + listener_setting_keys.size()> all{};
  for (std::size_t i = 0; i < N; ++i) all[i] = own[i];
  for (std::size_t i = 0; i < listener_setting_keys.size(); ++i) all[N + i] = listener_setting_keys[i];
  return all;
}

// What one flow said; unset means "whatever the other flows or the defaults say".
struct ListenerSettings {
  std::optional<ServerTlsSettings> tls;
  std::optional<std::size_t> max_body, max_header, max_connections, max_connections_per_address;
  std::optional<Location> max_connections_at;  // for the open file limit's check
  std::optional<std::chrono::milliseconds> idle_timeout, header_timeout, read_timeout, write_timeout;
};

// Reads the listener keys of a source block validated against a schema that includes them
// (TLS mistakes go to the reader's diagnostics).
ListenerSettings read_listener_settings(const ConfigReader& reader);

// Folds the settings of every flow on one listener key, reporting a disagreement at the flow
// that disagrees, then turns the result into the plan's limits and TLS context.
class ListenerSettingsMerge {
 public:
  explicit ListenerSettingsMerge(std::string key) : key_(std::move(key)) {}
  void add(const ListenerSettings& settings, const Location& where, Diagnostics& diag);
  ServerLimits limits() const;
  // Where a flow on this listener sets max_connections; empty when none does.
  const std::optional<Location>& max_connections_set_at() const { return merged_.max_connections_at; }
  bool has_tls() const { return merged_.tls.has_value(); }
  // `tls` is null for plain HTTP; false (reported at `where`) when the context cannot be built.
  bool make_tls(std::shared_ptr<boost::asio::ssl::context>& tls, const Location& where, Diagnostics& diag) const;

 private:
  std::string key_;
  ListenerSettings merged_;
};

}  // namespace qiao::http
