#pragma once
// One accepted tcp connection: frames are read, each message runs through the listener's flow,
// and the answers go back in the order the messages came.

#include <memory>
#include <string>

#include "core/host.hpp"
#include "core/net/tcp_listener.hpp"

namespace qiao::tcp {

// `key` names the listener whose plan (in the current generation) says what to do.
std::shared_ptr<ConnectionHandler> make_tcp_connection_handler(std::string key, Host& host);

}  // namespace qiao::tcp
