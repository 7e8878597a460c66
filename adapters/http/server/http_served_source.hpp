#pragma once
// What every source the http listener serves is: core hands the http listener kind the flows
// whose SourceSpec names it, and each of those specs is one of these — an http route
// (HttpSourceSpec), or a service another adapter mounts on the same port (soap). The listener
// merges their listener settings (TLS, limits: one per address) and routes a request to the
// route or the mounted service its path names.

#include <memory>
#include <span>
#include <string_view>

#include "adapters/http/server/listener_settings.hpp"
#include "core/config/diagnostics.hpp"
#include "core/net/host_port.hpp"
#include "core/source.hpp"

namespace qiao {
class Flow;
}

namespace qiao::http {

class MountedService;

// An adapter that serves its flows on an http listener as one service per listener (soap's
// WebServices beside the http flows, so that one port, one firewall rule at the hospital, serves
// REST and SOAP).
class ServiceMounter {
 public:
  virtual ~ServiceMounter() = default;
  virtual std::string_view name() const = 0;  // the source kind, for errors: "soap"
  // Everything `flows` (all mounted by this) serve on the listener `key`; null when they conflict
  // (errors in `diag` at the flows' file:line).
  virtual std::shared_ptr<const MountedService> mount(std::string_view key, std::span<const Flow* const> flows,
                                                      Diagnostics& diag) const = 0;
};

class HttpServedSource : public SourceSpec {
 public:
  HostPort listen;
  ListenerSettings settings;
  Location location;
  // Null for an http route (HttpSourceSpec); else the adapter that mounts this flow's service.
  const ServiceMounter* mounter = nullptr;

  ListenerAddress listener() const final { return {"http", listen.str()}; }
};

}  // namespace qiao::http
