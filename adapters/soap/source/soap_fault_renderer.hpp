#pragma once
// How a SOAP source answers errors: a Fault in the request's SOAP version. The sender's
// mistakes (malformed envelope, unknown operation, failed check, bad input) are Client (1.1,
// HTTP 500) or Sender (1.2, HTTP 400); the gateway's and its peers' failures are Server /
// Receiver (HTTP 500); an Envelope in an unknown namespace is VersionMismatch. The detail
// carries the error code and the message id an operator looks up:
//   <detail><code>flow</code><messageId>…</messageId></detail>
// Built per request (it is small): the version is the request's.

#include "adapters/soap/envelope.hpp"
#include "core/engine.hpp"

namespace qiao::soap {

class SoapFaultRenderer final : public ErrorRenderer {
 public:
  // `reply` (may be null) writes the empty response envelope of a flow that replied nothing.
  explicit SoapFaultRenderer(Version version, const Codec* reply = nullptr, bool version_mismatch = false)
      : version_(version), reply_(reply), version_mismatch_(version_mismatch) {}

  void render(const Error& error, Outcome& outcome) const override;
  void accepted(Outcome& outcome) const override;

 private:
  Version version_;
  const Codec* reply_;
  bool version_mismatch_;
};

}  // namespace qiao::soap
