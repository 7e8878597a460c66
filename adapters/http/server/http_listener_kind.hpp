#pragma once
// The http listener: HTTP/1.1 and HTTPS on one address, serving the http routes and the mounted
// services (soap) of every flow whose source names it (http_served_source.hpp).

#include <memory>

#include "core/listener.hpp"

namespace qiao::http {

std::unique_ptr<ListenerKind> make_http_listener_kind();

}  // namespace qiao::http
