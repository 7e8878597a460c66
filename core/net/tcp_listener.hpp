#pragma once
// A TCP listener shared by every server-side adapter (HTTP, MLLP/TCP, SOAP): binds, accepts on the
// host's acceptor thread, refuses connections over the limit, and hands each accepted socket to
// the next worker. What to do with a connection is the ConnectionHandler's business.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/host.hpp"
#include "core/net/host_port.hpp"
#include "core/source.hpp"

namespace qiao {

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Read for every accepted connection, so a reload changes it.
  virtual std::size_t max_connections() const = 0;
  // Open connections from one remote IP at most, so one address cannot take every slot.
  virtual std::size_t max_connections_per_address() const = 0;
  // Runs on the worker the socket belongs to; the connection is counted until it returns.
  // `stopped` turns true when the listener stops (a reload dropped it, or shutdown).
  virtual boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, const std::atomic<bool>& stopped) = 0;
};

struct TcpListenerOptions {
  // Holds one file descriptor in reserve: when accept fails for want of descriptors (EMFILE,
  // ENFILE) it is given up so the next connection can still be accepted and served. For the
  // admin API, which must answer /healthz while data listeners have used every descriptor.
  bool spare_fd = false;
};

// Binds `address` and starts accepting. `name` prefixes log lines ("http 0.0.0.0:8080") and
// labels qiao_connections_refused_total.
Expected<std::unique_ptr<Listener>> open_tcp_listener(const HostPort& address,
                                                      std::shared_ptr<ConnectionHandler> handler, Host& host,
                                                      std::string name, TcpListenerOptions options = {});

// "ip:port" of the peer, or "" when the socket has none (already reset).
std::string remote_address(const boost::asio::ip::tcp::socket& socket);

}  // namespace qiao
