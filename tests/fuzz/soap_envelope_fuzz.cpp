// libFuzzer target for SOAP envelopes, the bytes any client can POST to a soap source. Beyond "no
// crash, no hang, no sanitizer report" it checks the reader's promises: failures are bad_input or
// too_large; what is read can be written back as a body element and read again to the same
// element and content; a fault written for any reason text reads back as that fault.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

#include "adapters/soap/envelope.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "soap_envelope_fuzz: %s: %s\n", promise, detail.c_str());
  std::abort();
}

const qiao::xml::Options& options() {
  static const qiao::xml::Options set{.nested = {"inXml", "RegisterResult"}, .max_depth = 32};
  return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qiao;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto read = soap::read_envelope(make_buffer(std::string(text)), options());
  if (auto* error = std::get_if<soap::EnvelopeError>(&read)) {
    if (error->error.kind != ErrorKind::bad_input && error->error.kind != ErrorKind::too_large)
      broken("a reading error is bad_input or too_large", error->error.message);
    return 0;
  }
  const soap::Envelope& envelope = std::get<soap::Envelope>(read);
  if (envelope.element.empty()) broken("an envelope read has a body element", text);

  if (envelope.fault) {
    const std::string written = soap::write_fault(envelope.version, *envelope.fault);
    auto again = soap::read_envelope(make_buffer(std::string(written)), {});
    auto* back = std::get_if<soap::Envelope>(&again);
    if (!back || !back->fault) broken("a written fault reads back", written);
    if (back->fault->reason != envelope.fault->reason) broken("a written fault keeps its reason", written);
    return 0;
  }

  const soap::BodyElement body{envelope.element, envelope.element_namespace, true, envelope.content, {}};
  auto written = soap::write_envelope(envelope.version, qiao::Value(), body, options(), "");
  // A content the writer refuses (a name XML cannot have once prefixes are gone) is a flow error.
  if (!written) {
    if (written.error().kind != ErrorKind::flow) broken("a writing error is a flow error", written.error().message);
    return 0;
  }
  auto again = soap::read_envelope(make_buffer(std::string(*written)), options());
  auto* back = std::get_if<soap::Envelope>(&again);
  if (!back) broken("a written envelope reads back", *written);
  if (back->element != envelope.element || back->version != envelope.version)
    broken("a written envelope keeps its element and version", *written);
  return 0;
}
