#pragma once
// One TCP connection of a tcp endpoint, plain or TLS, whose every operation has a deadline.
//
// Plain Asio sockets have no expiry of their own, so each direction (reading, writing) has a
// watchdog timer that cancels the socket when its operation's deadline passes; the operation
// then reports asio::error::timed_out. A reader loop and a writer may run at once (long
// connections), each with its own watchdog. The stream is used on its worker's thread only.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "adapters/tcp/client/peer.hpp"
#include "core/error.hpp"
#include "core/net/client_tls.hpp"

namespace qiao::tcp {

using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

class TcpStream : public std::enable_shared_from_this<TcpStream> {
 public:
  static constexpr Clock::time_point no_deadline = Clock::time_point::max();

  explicit TcpStream(const boost::asio::any_io_executor& executor);
  TcpStream(const boost::asio::any_io_executor& executor, boost::asio::ssl::context& tls_context);
  ~TcpStream();
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  // Resolves, connects and (with a TLS context) shakes hands, all by `deadline`. Errors are
  // ErrorKind::timeout when the deadline passed and ErrorKind::unavailable otherwise, with a
  // text naming the peer. `peer`, `tls` and `tls_context` must outlive the coroutine.
  static boost::asio::awaitable<Expected<std::shared_ptr<TcpStream>>> open(const Peer& peer,
                                                                           const ClientTlsSettings* tls,
                                                                           boost::asio::ssl::context* tls_context,
                                                                           Clock::time_point deadline);

  // Writes all of `bytes`; asio::error::timed_out when the deadline passed first.
  boost::asio::awaitable<boost::system::error_code> write(std::string_view bytes, Clock::time_point deadline);
  // Reads what has arrived (at least one byte); asio::error::eof when the peer closed its side.
  boost::asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(
      boost::asio::mutable_buffer buffer, Clock::time_point deadline);
  // Tells the peer we send nothing more (plain TCP only; a TLS peer learns it from the framing).
  void shutdown_send();
  // Closes the socket: operations in progress end with operation_aborted.
  void close();
  bool is_open() const;
  boost::asio::any_io_executor executor() { return reading_.timer.get_executor(); }

 private:
  struct Watchdog {
    explicit Watchdog(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    std::uint64_t serial = 0;  // which operation the pending wait belongs to
    bool fired = false;
  };
  void arm(Watchdog& watchdog, Clock::time_point deadline);
  bool disarm(Watchdog& watchdog);  // true when the deadline had passed
  boost::asio::ip::tcp::socket& socket();

  std::optional<boost::asio::ip::tcp::socket> plain_;
  std::optional<TlsSocket> tls_;
  Watchdog reading_;
  Watchdog writing_;
};

}  // namespace qiao::tcp
