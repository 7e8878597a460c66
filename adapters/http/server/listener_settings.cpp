#include "adapters/http/server/listener_settings.hpp"

#include <algorithm>
#include <cstdint>

#include "core/net/descriptor_budget.hpp"

namespace qiao::http {

namespace {

template <class T>
void merge(std::optional<T>& into, const std::optional<T>& value, const char* what, const std::string& key,
           const Location& where, Diagnostics& diag) {
  if (!value) return;
  if (into && !(*into == *value)) {
    diag.error(where, "listener " + key + ": '" + what + "' differs from another flow on the same address");
    return;
  }
  into = value;
}

}  // namespace

ListenerSettings read_listener_settings(const ConfigReader& reader) {
  ListenerSettings s;
  if (auto tls = reader.node("tls")) s.tls = parse_server_tls(*tls, reader.diagnostics());
  if (reader.has("max_body")) s.max_body = reader.size("max_body");
  if (reader.has("max_header")) s.max_header = reader.size("max_header");
  if (reader.has("max_connections")) {
    s.max_connections = static_cast<std::size_t>(std::max<std::int64_t>(1, reader.integer("max_connections")));
    s.max_connections_at = reader.node("max_connections")->location();
  }
  if (reader.has("max_connections_per_address"))
    s.max_connections_per_address =
        static_cast<std::size_t>(std::max<std::int64_t>(1, reader.integer("max_connections_per_address")));
  if (reader.has("idle_timeout")) s.idle_timeout = reader.duration("idle_timeout");
  if (reader.has("header_timeout")) s.header_timeout = reader.duration("header_timeout");
  if (reader.has("read_timeout")) s.read_timeout = reader.duration("read_timeout");
  if (reader.has("write_timeout")) s.write_timeout = reader.duration("write_timeout");
  return s;
}

void ListenerSettingsMerge::add(const ListenerSettings& s, const Location& where, Diagnostics& diag) {
  merge(merged_.tls, s.tls, "tls", key_, where, diag);
  merge(merged_.max_body, s.max_body, "max_body", key_, where, diag);
  merge(merged_.max_header, s.max_header, "max_header", key_, where, diag);
  merge(merged_.max_connections, s.max_connections, "max_connections", key_, where, diag);
  if (!merged_.max_connections_at) merged_.max_connections_at = s.max_connections_at;
  merge(merged_.max_connections_per_address, s.max_connections_per_address, "max_connections_per_address", key_, where,
        diag);
  merge(merged_.idle_timeout, s.idle_timeout, "idle_timeout", key_, where, diag);
  merge(merged_.header_timeout, s.header_timeout, "header_timeout", key_, where, diag);
  merge(merged_.read_timeout, s.read_timeout, "read_timeout", key_, where, diag);
  merge(merged_.write_timeout, s.write_timeout, "write_timeout", key_, where, diag);
}

ServerLimits ListenerSettingsMerge::limits() const {
  ServerLimits limits;
  limits.max_body = merged_.max_body.value_or(limits.max_body);
  limits.max_header = merged_.max_header.value_or(limits.max_header);
  limits.max_connections = merged_.max_connections.value_or(default_max_connections(limits.max_connections));
  limits.max_connections_per_address = merged_.max_connections_per_address.value_or(limits.max_connections_per_address);
  limits.idle_timeout = merged_.idle_timeout.value_or(limits.idle_timeout);
  limits.header_timeout = merged_.header_timeout.value_or(limits.header_timeout);
  limits.read_timeout = merged_.read_timeout.value_or(limits.read_timeout);
  limits.write_timeout = merged_.write_timeout.value_or(limits.write_timeout);
  return limits;
}

bool ListenerSettingsMerge::make_tls(std::shared_ptr<boost::asio::ssl::context>& tls, const Location& where,
                                     Diagnostics& diag) const {
  tls = nullptr;
  if (!merged_.tls) return true;
  auto context = make_server_tls_context(*merged_.tls);
  if (!context) {
    diag.error(where, "listener " + key_ + ": " + context.error().message);
    return false;
  }
  tls = *context;
  return true;
}

}  // namespace qiao::http
