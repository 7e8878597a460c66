#include "adapters/tcp/client/stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace qiao::tcp {

namespace asio = boost::asio;
using asio::ip::tcp;

TcpStream::TcpStream(const asio::any_io_executor& executor) : reading_(executor), writing_(executor) {
  plain_.emplace(executor);
}

TcpStream::TcpStream(const asio::any_io_executor& executor, asio::ssl::context& tls_context)
    : reading_(executor), writing_(executor) {
  tls_.emplace(executor, tls_context);
}

TcpStream::~TcpStream() { close(); }

tcp::socket& TcpStream::socket() { return tls_ ? tls_->next_layer() : *plain_; }

bool TcpStream::is_open() const { return tls_ ? tls_->next_layer().is_open() : plain_->is_open(); }

void TcpStream::close() {
  // No TLS close_notify: it needs another round trip on a connection we are giving up, and
  // every framing we speak already tells the peer where our data ends.
  boost::system::error_code ignored;
  socket().close(ignored);
  reading_.timer.cancel();
  writing_.timer.cancel();
}

void TcpStream::shutdown_send() {
  if (tls_) return;
  boost::system::error_code ignored;
  plain_->shutdown(tcp::socket::shutdown_send, ignored);
}

void TcpStream::arm(Watchdog& watchdog, Clock::time_point deadline) {
  ++watchdog.serial;
  watchdog.fired = false;
  if (deadline == no_deadline) return;
  watchdog.timer.expires_at(deadline);
  // The handler may run after the stream is gone, or after this operation ended and another
  // began: the weak pointer and the serial number tell.
  const bool is_reading = &watchdog == &reading_;
  watchdog.timer.async_wait(
      [weak = weak_from_this(), serial = watchdog.serial, is_reading](const boost::system::error_code& ec) {
        if (ec) return;
        auto self = weak.lock();
        if (!self) return;
        Watchdog& which = is_reading ? self->reading_ : self->writing_;
        if (which.serial != serial) return;
        which.fired = true;
        boost::system::error_code ignored;
        self->socket().cancel(ignored);
      });
}

bool TcpStream::disarm(Watchdog& watchdog) {
  ++watchdog.serial;
  watchdog.timer.cancel();
  return watchdog.fired;
}

asio::awaitable<Expected<std::shared_ptr<TcpStream>>> TcpStream::open(const Peer& peer, const ClientTlsSettings* tls,
                                                                      asio::ssl::context* tls_context,
                                                                      Clock::time_point deadline) {
  auto expired = [&peer]() { return make_error(ErrorKind::timeout, "cannot connect to " + peer.text + " in time"); };
  auto endpoints = co_await resolve_peer(peer, deadline);
  if (!endpoints) {
    if (Clock::now() >= deadline) co_return expired();
    co_return std::move(endpoints).error();
  }
  auto executor = co_await asio::this_coro::executor;
  auto stream =
      tls_context ? std::make_shared<TcpStream>(executor, *tls_context) : std::make_shared<TcpStream>(executor);

  stream->arm(stream->writing_, deadline);
  auto [ec, endpoint] = co_await asio::async_connect(stream->socket(), *endpoints, asio::as_tuple(asio::use_awaitable));
  (void)endpoint;
  if (stream->disarm(stream->writing_)) co_return expired();
  if (ec) co_return make_error(ErrorKind::unavailable, "cannot connect to " + peer.text + ": " + ec.message());
  // Requests are small and answered at once: do not let Nagle hold back their last segment.
  boost::system::error_code option_ec;
  stream->socket().set_option(tcp::no_delay(true), option_ec);

  if (stream->tls_) {
    if (std::string problem = prepare_tls_stream(*stream->tls_, *tls); !problem.empty()) {
      co_return make_error(ErrorKind::unavailable, "TLS with " + peer.text + ": " + problem);
    }
    stream->arm(stream->writing_, deadline);
    auto [handshake_ec] =
        co_await stream->tls_->async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (stream->disarm(stream->writing_)) co_return expired();
    if (handshake_ec) {
      co_return make_error(ErrorKind::unavailable,
                           "TLS handshake with " + peer.text +
                               " failed: " + describe_tls_failure(stream->tls_->native_handle(), handshake_ec));
    }
  }
  co_return std::move(stream);
}

asio::awaitable<boost::system::error_code> TcpStream::write(std::string_view bytes, Clock::time_point deadline) {
  auto self = shared_from_this();  // the caller may drop its reference while the write runs
  arm(writing_, deadline);
  auto buffer = asio::buffer(bytes.data(), bytes.size());
  boost::system::error_code ec;
  if (tls_) {
    auto [write_ec, written] = co_await asio::async_write(*tls_, buffer, asio::as_tuple(asio::use_awaitable));
    (void)written;
    ec = write_ec;
  } else {
    auto [write_ec, written] = co_await asio::async_write(*plain_, buffer, asio::as_tuple(asio::use_awaitable));
    (void)written;
    ec = write_ec;
  }
  if (disarm(writing_)) ec = asio::error::timed_out;
  co_return ec;
}

asio::awaitable<std::pair<boost::system::error_code, std::size_t>> TcpStream::read_some(asio::mutable_buffer buffer,
                                                                                        Clock::time_point deadline) {
  auto self = shared_from_this();
  arm(reading_, deadline);
  boost::system::error_code ec;
  std::size_t read = 0;
  if (tls_) {
    auto [read_ec, n] = co_await tls_->async_read_some(buffer, asio::as_tuple(asio::use_awaitable));
    ec = read_ec;
    read = n;
  } else {
    auto [read_ec, n] = co_await plain_->async_read_some(buffer, asio::as_tuple(asio::use_awaitable));
    ec = read_ec;
    read = n;
  }
  if (disarm(reading_)) ec = asio::error::timed_out;
  co_return std::make_pair(ec, read);
}

}  // namespace qiao::tcp
