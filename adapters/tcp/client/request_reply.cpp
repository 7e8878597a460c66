#include "adapters/tcp/client/request_reply.hpp"

#include <algorithm>

#include "core/protocol_answers.hpp"

namespace qiao::tcp {

Expected<EncodedRequest> encode_request(const TcpSettings& settings, const Value& body) {
  EncodedRequest out;
  auto payload = settings.common.codec->encode(body);
  if (!payload) return settings.fail(ErrorKind::bad_input, "cannot encode the request: " + payload.error().message);
  out.payload = std::move(*payload);
  auto framed = frame(settings.framing, out.payload);
  if (!framed) return settings.fail(ErrorKind::bad_input, "cannot frame the request: " + framed.error().message);
  out.frame = std::move(*framed);
  return out;
}

boost::asio::awaitable<Expected<std::shared_ptr<TcpStream>>> connect_peer(const TcpSettings& settings,
                                                                          Clock::time_point deadline) {
  const auto connect_deadline = std::min(deadline, Clock::now() + settings.common.connect_timeout);
  auto stream =
      co_await TcpStream::open(settings.peer, settings.tls_options(), settings.tls_context.get(), connect_deadline);
  if (stream) co_return stream;
  const Error& error = stream.error();
  if (error.kind == ErrorKind::timeout) {
    if (connect_deadline == deadline) co_return settings.timed_out("while connecting");
    co_return settings.fail(ErrorKind::unavailable, "cannot connect to " + settings.peer.text + " within " +
                                                        std::to_string(settings.common.connect_timeout.count()) +
                                                        " ms");
  }
  co_return settings.fail(error.kind, error.message);
}

Expected<Value> decode_reply(const TcpSettings& settings, std::string payload) {
  auto value = settings.common.codec->decode(make_buffer(std::move(payload)));
  if (!value)
    return settings.fail(ErrorKind::upstream,
                         "the reply from " + settings.peer.text + " does not decode: " + value.error().message);
  return value;
}

Expected<CallResponse> finish_call(const TcpSettings& settings, Expected<Value> reply) {
  if (!reply) return std::move(reply).error();
  if (settings.check_ack) {
    if (auto acked = settings.common.codec->answers()->verdict(*reply); !acked) {
      Error error = settings.fail(ErrorKind::upstream, acked.error().message);
      error.refused_by_peer = acked.error().refused_by_peer;
      return error;
    }
  }
  CallResponse response;
  response.body = std::move(*reply);
  return response;
}

}  // namespace qiao::tcp
