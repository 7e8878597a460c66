#pragma once
// The HTTP/1.1 server machinery shared by flow listeners and the admin API: a session per
// connection accepted by core/net/tcp_listener (keep-alive, size limits,
// timeouts, TLS, 100-continue). What to answer is the RequestHandler's business.
// Internal to the adapter: it exposes Beast types.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/host.hpp"
#include "core/net/host_port.hpp"
#include "core/net/tcp_listener.hpp"
#include "core/source.hpp"

namespace qiao::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct ServerLimits {
  std::size_t max_header = 16 * 1024;
  std::size_t max_body = 1024 * 1024;
  std::chrono::milliseconds idle_timeout{60'000};  // waiting for the next request on a connection
  // The whole header from its first byte; a client trickling bytes is not idle, but it is slow.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};  // reading one request once it has begun
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 10'000;
  // Well below the total, so one address (a runaway client, a slowloris) cannot take every slot,
  // and well above what a kiosk fleet behind one NAT address opens.
  std::size_t max_connections_per_address = 256;
  friend bool operator==(const ServerLimits&, const ServerLimits&) = default;
};

// What a handler knows of the connection a request came on. Not named Connection: the client's
// pooled connection has that name in this namespace, and two classes of one name break the
// one-definition rule (the linker kept one implicit destructor for both and freed garbage).
struct ConnectionInfo {
  std::string remote;  // "ip:port" of the client
  bool tls = false;
};

// Shared by every connection of one listener; called on the connection's worker thread.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Read afresh for every request, so a reload changes them for open connections too.
  virtual ServerLimits limits() const = 0;
  // TLS context for new connections; null for plain HTTP.
  virtual std::shared_ptr<boost::asio::ssl::context> tls() const = 0;
  virtual boost::asio::awaitable<Response> handle(Request request, const ConnectionInfo& connection) = 0;
  // The answer to a request that could not be read whole (400, 408, 413, 431). `status` is the
  // HTTP status to answer when the error kind alone does not say it (408, 431); 0 otherwise.
  virtual Response reject(Error error, int status, const ConnectionInfo& connection) = 0;
};

// Binds `address` and starts accepting on the host's acceptor thread.
Expected<std::unique_ptr<Listener>> open_http_listener(const HostPort& address, std::shared_ptr<RequestHandler> handler,
                                                       Host& host, std::string name, TcpListenerOptions options = {});

}  // namespace qiao::http
