#pragma once
// The Message an HTTP request becomes, before a source adds the facts of its own protocol.

#include <string_view>

#include "adapters/http/server/http_server.hpp"
#include "core/message.hpp"

namespace qiao::http {

// A fresh id; headers with lower-case names; the trace id from X-Trace-Id, else the message id;
// msg.source = { kind, remote, tls } and, when `path` is not empty, method and path. The body
// is left to the caller (msg.raw), which knows whether the request is a flow's.
Message make_request_message(const Request& request, const ConnectionInfo& connection, std::string_view kind,
                             std::string_view path);

}  // namespace qiao::http
