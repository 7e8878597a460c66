#pragma once
// The tcp listener: one flow per address (a TCP port has no path to route on), framed messages
// read and answered in order on each connection (tcp_session.cpp).

#include <memory>

#include "core/listener.hpp"

namespace qiao::tcp {

std::unique_ptr<ListenerKind> make_tcp_listener_kind();

}  // namespace qiao::tcp
