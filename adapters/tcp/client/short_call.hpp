#pragma once
// Short connections: each call connects, writes its frame, reads one reply frame (or, with
// `framing: close`, everything until the peer closes) and closes.

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "adapters/tcp/client/settings.hpp"
#include "core/endpoint.hpp"

namespace qiao::tcp {

boost::asio::awaitable<Expected<CallResponse>> short_call(std::shared_ptr<const TcpSettings> settings,
                                                          CallRequest request);

}  // namespace qiao::tcp
