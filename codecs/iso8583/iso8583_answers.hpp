#pragma once
// ISO 8583's own answer (core/protocol_answers.hpp) to a request its flow could not serve: the
// dialect's response skeleton (MTI + 10, the echoed fields, the TPDU turned round) with field 39
// saying why. A terminal or switch hears at once and can show the code, instead of waiting out
// its timeout and sending a reversal for a sale the bank never saw. A flow that wants other codes
// routes the error and replies itself; a request that succeeded is answered by the flow's reply.

#include <string>

#include "codecs/iso8583/spec.hpp"
#include "core/protocol_answers.hpp"

namespace qiao::iso8583 {

class Iso8583Answers final : public ProtocolAnswers {
 public:
  // `spec` outlives this (the codec owns both).
  explicit Iso8583Answers(const Spec& spec) : spec_(spec) {}

  bool acknowledges() const override { return false; }
  // The packed answer, field 39 as the dialect's error_codes say for the failure's kind (by
  // default 30 format error when the request was refused, 91 issuer or switch inoperative when a
  // system behind the gateway could not be reached or did not answer in time, 96 system
  // malfunction). A request the codec refused is answered from what could be read of it. Empty
  // when there is none to give: a success, bytes without a readable MTI (the sender gets the
  // connection closed, as the bytes say nothing to answer to) or a message that is itself a response.
  Expected<std::string> answer(const Buffer& raw, const Error* failure) const override;

 private:
  const Spec& spec_;
};

}  // namespace qiao::iso8583
