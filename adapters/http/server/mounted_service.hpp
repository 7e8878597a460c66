#pragma once
// Paths another adapter serves on an HTTP listener beside the http flows (its ServiceMounter,
// http_served_source.hpp, builds one per listener and generation): a request whose path a service
// mounts goes to that service.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/server/http_server.hpp"
#include "adapters/http/server/listener_settings.hpp"

namespace qiao {
class Flow;
class Generation;
}  // namespace qiao

namespace qiao::http {

// What one source kind serves on one listener in one generation.
class MountedService {
 public:
  virtual ~MountedService() = default;
  // Exact request paths (the query aside); they win over the http flows' prefix routes. A
  // listener without http flows sends every request here, unknown paths too.
  virtual const std::vector<std::string>& paths() const = 0;
  // `tls`: whether the listener speaks HTTPS; `generation`: the one the request is served in.
  virtual boost::asio::awaitable<Response> handle(Request request, const ConnectionInfo& connection,
                                                  std::shared_ptr<const Generation> generation, bool tls,
                                                  Host& host) const = 0;
  // The answer to a request that could not be read whole, when the listener serves nothing else
  // (a SOAP-only port answers with a Fault).
  virtual Response reject(Error error, int status, const ConnectionInfo& connection, Host& host) const = 0;
};

}  // namespace qiao::http
