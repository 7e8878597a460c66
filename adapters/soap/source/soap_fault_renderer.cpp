#include "adapters/soap/source/soap_fault_renderer.hpp"

namespace qiao::soap {

void SoapFaultRenderer::render(const Error& error, Outcome& outcome) const {
  const bool sender = version_mismatch_ || is_sender_fault(error.kind);
  Fault fault;
  if (version_mismatch_) fault.code = "VersionMismatch";
  else if (version_ == Version::v1_1) fault.code = sender ? "Client" : "Server";
  else fault.code = sender ? "Sender" : "Receiver";
  fault.reason = error.message;
  fault.detail = Value(Object{{"code", Value(error_kind_name(error.kind))}, {"messageId", Value(outcome.message_id)}});
  // A VersionMismatch is the receiver's refusal of the whole envelope: 500 in both versions.
  outcome.status = version_mismatch_ ? 500 : fault_status(version_, sender);
  outcome.content_type = content_type(version_, "", "");
  outcome.body = write_fault(version_, fault);
}

void SoapFaultRenderer::accepted(Outcome& outcome) const {
  if (!outcome.body.empty() || !reply_) return;
  // A flow that replied nothing still owes the client its response element.
  auto empty = reply_->encode(Value());
  if (!empty) {
    // Set before the engine accounts for it, so the journal and metrics see the failure.
    outcome.error = empty.error();
    return render(*outcome.error, outcome);
  }
  outcome.body = std::move(*empty);
  outcome.content_type = std::string(reply_->content_type());
}

}  // namespace qiao::soap
