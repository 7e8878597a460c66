#include "adapters/tcp/client/short_call.hpp"

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "adapters/tcp/client/request_reply.hpp"
#include "adapters/tcp/framing/frame_reader.hpp"

namespace qiao::tcp {

namespace asio = boost::asio;

boost::asio::awaitable<Expected<CallResponse>> short_call(std::shared_ptr<const TcpSettings> settings,
                                                          CallRequest request) {
  const auto deadline = Clock::now() + settings->common.timeout;
  auto encoded = encode_request(*settings, request.body);
  if (!encoded) co_return std::move(encoded).error();
  auto stream = co_await connect_peer(*settings, deadline);
  if (!stream) co_return std::move(stream).error();

  if (auto ec = co_await (*stream)->write(encoded->frame, deadline)) {
    if (ec == asio::error::timed_out) co_return settings->timed_out("while sending");
    co_return settings->fail(ErrorKind::unavailable, "cannot send to " + settings->peer.text + ": " + ec.message());
  }
  // `close` framing: a payload ends where its sender stops, so the request ends with our side
  // of the connection.
  if (settings->framing.kind == FramingKind::close) (*stream)->shutdown_send();

  FrameReader reader(settings->framing);
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    auto [ec, read] = co_await (*stream)->read_some(asio::buffer(buffer), deadline);
    if (ec == asio::error::timed_out) co_return settings->timed_out("");
    if (ec == asio::error::eof) {
      auto last = reader.finish();
      if (!last) {
        co_return settings->fail(
            ErrorKind::upstream,
            settings->peer.text + " closed the connection in the middle of a reply (" + last.error().message + ")");
      }
      if (!*last) {
        co_return settings->fail(ErrorKind::upstream, settings->peer.text + " closed the connection without a reply");
      }
      co_return finish_call(*settings, decode_reply(*settings, std::move(**last)));
    }
    if (ec) {
      co_return settings->fail(ErrorKind::upstream,
                               "connection to " + settings->peer.text + " lost before a reply: " + ec.message());
    }
    reader.feed(std::string_view(buffer.data(), read));
    auto next = reader.next();
    if (!next) {
      co_return settings->fail(ErrorKind::upstream,
                               "unreadable reply from " + settings->peer.text + ": " + next.error().message);
    }
    if (*next) {
      (*stream)->close();
      co_return finish_call(*settings, decode_reply(*settings, std::move(**next)));
    }
  }
}

}  // namespace qiao::tcp
