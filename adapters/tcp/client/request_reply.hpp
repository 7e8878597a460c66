#pragma once
// The parts of a call every connection mode shares: the request encoded and framed, a
// connection opened within the call's time, and the reply payload turned into a CallResponse.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "adapters/tcp/client/settings.hpp"
#include "adapters/tcp/client/stream.hpp"
#include "core/endpoint.hpp"

namespace qiao::tcp {

struct EncodedRequest {
  std::string payload;  // as the codec wrote it
  std::string frame;    // what goes on the wire
};

// Errors are bad_input: the body does not encode, or does not fit the framing.
Expected<EncodedRequest> encode_request(const TcpSettings& settings, const Value& body);

// A new connection, bounded by connect_timeout and by the call's `deadline`: running out of the
// call's time is a timeout, running out of connect_timeout (or a refusal) is unavailable.
boost::asio::awaitable<Expected<std::shared_ptr<TcpStream>>> connect_peer(const TcpSettings& settings,
                                                                          Clock::time_point deadline);

// Decodes a reply payload; an undecodable reply is the peer's fault (upstream).
Expected<Value> decode_reply(const TcpSettings& settings, std::string payload);

// The call's result from a decoded reply (or the error that replaced it), with the codec's verdict
// on the reply (an HL7 ACK's MSA-1) when check_ack is on.
Expected<CallResponse> finish_call(const TcpSettings& settings, Expected<Value> reply);

}  // namespace qiao::tcp
