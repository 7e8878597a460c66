#include "adapters/tcp/client/ack_check.hpp"

#include "codecs/hl7v2/hl7_path.hpp"

namespace qiao::tcp {

Status check_hl7_ack(const Value& reply) {
  const std::string code = hl7::text_at(reply, "MSA-1");
  if (code == "AA" || code == "CA") return Ok{};
  if (code.empty()) {
    return make_error(ErrorKind::upstream, "the reply is not an HL7 acknowledgement (no MSA-1)");
  }
  if (code != "AE" && code != "AR" && code != "CE" && code != "CR") {
    return make_error(ErrorKind::upstream, "HL7 " + code + ": unknown acknowledgement code in MSA-1");
  }
  // MSA-3 is the text of v2.1–2.3 ACKs; later versions moved it to ERR-8 (user message), with
  // ERR-3 holding the coded error.
  std::string text = hl7::text_at(reply, "MSA-3");
  if (text.empty()) text = hl7::text_at(reply, "ERR-8");
  if (text.empty()) {
    const std::string coded = hl7::text_at(reply, "ERR-3");
    const std::string coded_text = hl7::text_at(reply, "ERR-3.2");
    if (!coded.empty()) text = coded + (coded_text.empty() ? "" : " " + coded_text);
  }
  Error error = make_error(ErrorKind::upstream, "HL7 " + code + (text.empty() ? std::string() : ": " + text));
  // AR/CR: the receiver rejects the message itself (HL7 v2 §2.9.2); AE/CE is an error in
  // processing it, which the receiver may get past on a later try.
  error.refused_by_peer = code == "AR" || code == "CR";
  return error;
}

}  // namespace qiao::tcp
