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
// Appends "name=value" to a query string ('?' first, then '&'), unless `value` is empty. Query
// strings carry user text (an error excerpt): all but unreserved bytes are percent-encoded.
void add_query(std::string& query, const char* name, const std::string& value);

// What `qiao queue` and `qiao messages` do before printing: read qiao.yaml (admin.listen, the
// token; `admin_address` instead of admin.listen when not empty), send one request, decode its
// JSON answer. A problem is printed as "qiao COMMAND: …" and `exit_code` is not 0.
struct AdminAnswer {
  int exit_code = 0;
  Value body;
};
AdminAnswer ask_admin(const std::string& command, const std::string& config_path, const std::string& admin_address,
                      const std::string& method, const std::string& target);

}  // namespace qiao
