#pragma once
// The command line's way into a running gateway: one request to its admin API, at admin.listen,
// with the token qiao.yaml names or the one the gateway wrote to var/admin.token.

#include <chrono>
#include <string>

#include "core/error.hpp"
#include "core/server_config.hpp"
#include "core/value.hpp"

namespace qiao {

struct AdminReply {
  int status = 0;
  std::string body;
};

// Errors: unavailable (no gateway answers there), config (no token to send).
Expected<AdminReply> call_admin(const ServerConfig& config, const std::string& method, const std::string& target,
                                std::chrono::milliseconds timeout);

// A scalar of an admin API answer as text for a table; empty for none or a container.
std::string text_of(const Value* v);
// Query strings carry user text (an error excerpt): all but unreserved bytes percent-encoded.
std::string encode_component(const std::string& text);

}  // namespace qiao
