#pragma once
// What a codec knows of its protocol's answers, so that a transport answers and judges messages
// without naming a codec: HL7 v2 acknowledges every message (AA, AE, AR) and names it by MSH-10;
// ISO 8583 answers a request it could not serve with its response carrying field 39.

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao {

class ProtocolAnswers {
 public:
  virtual ~ProtocolAnswers() = default;

  // Whether the protocol acknowledges a message it accepted (HL7's AA): a source may then answer
  // on the flow's behalf (ack: auto), or before the flow ran (accept: stored).
  virtual bool acknowledges() const = 0;

  // The protocol's answer to the request `raw` whose flow ended with `failure` (null: it
  // succeeded, asked only when acknowledges()). Built from the bytes, so that a request that did
  // not decode still hears why. Empty when the protocol gives none: the request is itself an
  // answer, asks for none with this outcome, or is too broken to answer. An error says why an
  // answer that was due could not be built (the transport logs it and sends none).
  virtual Expected<std::string> answer(const Buffer& raw, const Error* failure) const = 0;

  // Whether a reply says if the peer accepted the request (an HL7 ACK's MSA-1), so an endpoint
  // can fail a call the peer refused (check_ack).
  virtual bool judges_replies() const { return false; }
  // A peer's reply to a request: Ok when the peer accepted the request, else an upstream error
  // (refused_by_peer when the peer rejects the message itself rather than failing to process it).
  // Ok for every reply when the protocol does not judge replies.
  virtual Status verdict(const Value& reply) const {
    (void)reply;
    return Ok{};
  }

  // The id a request carries and its reply echoes, for matching replies to requests on a shared
  // connection: how they are named ("MSH-10/MSA-2"), empty when the protocol has none. The ids are
  // empty when the message lacks one.
  virtual std::string_view id_fields() const { return {}; }
  virtual std::string request_id(const Value& request) const {
    (void)request;
    return {};
  }
  virtual std::string reply_id(const Value& reply) const {
    (void)reply;
    return {};
  }
};

}  // namespace qiao
