#pragma once
// "host:port" as written in config ("0.0.0.0:8080", "[::1]:9900", "localhost:80").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qiao {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string str() const;  // brackets IPv6 literals
};

std::optional<HostPort> parse_host_port(std::string_view text);

}  // namespace qiao
