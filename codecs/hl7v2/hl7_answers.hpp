#pragma once
// HL7 v2's own answers (core/protocol_answers.hpp): the acknowledgement a source sends on the
// flow's behalf (AA once the flow succeeded, AR when the message could not be decoded or was
// rejected by a check, AE when the flow failed otherwise, the error text in MSA-3 and ERR-8), the
// verdict of a peer's ACK, and MSH-10 / MSA-2 as the ids that match a reply to its request.

#include <string>
#include <string_view>

#include "core/codec.hpp"
#include "core/protocol_answers.hpp"

namespace qiao::hl7 {

// "AA", "AR" or "AE" for an outcome (`failure` null when the flow succeeded).
std::string_view ack_code(const Error* failure);

class Hl7Answers final : public ProtocolAnswers {
 public:
  // `codec` decodes the MSH and encodes the ACK, in `default_charset` (its charset option) unless
  // MSH-18 names another; it outlives this (it owns it).
  Hl7Answers(const Codec& codec, std::string default_charset)
      : codec_(codec), default_charset_(std::move(default_charset)) {}

  bool acknowledges() const override { return true; }
  // Built from the first MSH segment alone, so a message too broken to decode still gets its AR,
  // and encoded in the message's charset. Empty when the message is itself an ACK, or its MSH-15
  // and MSH-16 ask for none with this outcome.
  Expected<std::string> answer(const Buffer& raw, const Error* failure) const override;
  // AA and CA accept; AE, AR, CE and CR are upstream errors "HL7 AE: <MSA-3, else ERR-8, else
  // ERR-3 text>" (AR and CR refused by the peer); a reply without MSA-1 is "not an HL7
  // acknowledgement".
  bool judges_replies() const override { return true; }
  Status verdict(const Value& reply) const override;
  std::string_view id_fields() const override { return "MSH-10/MSA-2"; }
  std::string request_id(const Value& request) const override;
  std::string reply_id(const Value& reply) const override;

 private:
  const Codec& codec_;
  std::string default_charset_;
};

}  // namespace qiao::hl7
