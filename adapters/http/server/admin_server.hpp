#pragma once
// Serves the core's AdminApi over HTTP on the admin listener.

#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/host.hpp"
#include "core/net/server_tls.hpp"
#include "core/source.hpp"

namespace qiao {
class AdminApi;
}

namespace qiao::http {

// Plain HTTP without `tls` (server_config refuses that off loopback). Tells `api` the bound
// address before returning, so the Host check knows the port when 0 was configured.
Expected<std::unique_ptr<Listener>> serve_admin(const std::string& address, const std::optional<ServerTlsSettings>& tls,
                                                AdminApi& api, Host& host);

}  // namespace qiao::http
