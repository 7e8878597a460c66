#pragma once
// Serves the core's AdminApi over HTTP on the admin listener.

#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/host.hpp"
#include "core/source.hpp"

namespace qiao {
class AdminApi;
}

namespace qiao::http {

Expected<std::unique_ptr<Listener>> serve_admin(const std::string& address, AdminApi& api, Host& host);

}  // namespace qiao::http
