// libFuzzer target for the hl7v2 codec. Beyond "no crash, no hang, no sanitizer report" it checks
// the codec's promises: decode errors are bad_input/too_large with an "hl7v2: " message; whatever
// decodes also encodes; a well-formed UTF-8 message (every segment ends in CR, no empty segment)
// comes back byte for byte (empty segments, which decode skips, excluded); anything else decoded (LF endings, trailing
// blank lines) decodes back to an equal Value after one encode; and the AA written straight from a header's bytes
// (accept_ack_from_header) is the one make_ack and the encoder give from the decoded header.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "codecs/hl7v2/hl7_ack.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/hl7_path.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "hl7v2_fuzz: %s: %s\n", promise, detail.c_str());
  std::abort();
}

bool canonical(const std::string& s) {
  if (s.empty() || s.front() == '\r' || s.back() != '\r' || s.find('\n') != std::string::npos ||
      s.find("\r\r") != std::string::npos)
    return false;
  // MSH-18 naming another charset changes the bytes' meaning; only plain UTF-8 is compared.
  return s.find("|8859") == std::string::npos && s.find("GB") == std::string::npos;
}

void check_accept_ack(const std::string& bytes, const qiao::hl7::Options& options) {
  const std::string msh = bytes.substr(0, bytes.find_first_of("\r\n"));
  qiao::hl7::AckOptions ids;
  ids.control_id = "ACK1";
  ids.timestamp = "20261207000000";
  const auto direct = qiao::hl7::accept_ack_from_header(msh, options.charset, ids);
  if (!direct) return;
  auto header = qiao::hl7::decode(qiao::make_buffer(msh + "\r"), options);
  if (!header) broken("the shortcut acknowledges a header the decoder refuses", header.error().message);
  std::string general;
  if (qiao::hl7::ack_wanted(*header, "AA")) {
    auto ack = qiao::hl7::make_ack(*header, "AA", "", ids);
    if (!ack) broken("the shortcut acknowledges what make_ack refuses", ack.error().message);
    auto encoded = qiao::hl7::encode(*ack, options);
    if (!encoded) broken("the general ACK does not encode", encoded.error().message);
    general = std::move(*encoded);
  }
  if (*direct != general) broken("the shortcut's ACK differs from make_ack's", *direct + " / " + general);
}

void check(const std::string& bytes, const qiao::hl7::Options& options) {
  check_accept_ack(bytes, options);
  auto decoded = qiao::hl7::decode(qiao::make_buffer(bytes), options);
  if (!decoded) {
    const qiao::Error& error = decoded.error();
    if (error.kind != qiao::ErrorKind::bad_input && error.kind != qiao::ErrorKind::too_large)
      broken("decode error kind is not bad_input", error.message);
    if (error.message.rfind("hl7v2: ", 0) != 0) broken("decode error lacks the hl7v2: prefix", error.message);
    return;
  }
  // The path helpers must not trip over whatever shape came out.
  (void)qiao::hl7::get(*decoded, "PID-3[2].4.1");
  (void)qiao::hl7::text_at(*decoded, "MSH-9");

  auto encoded = qiao::hl7::encode(*decoded, options);
  if (!encoded) broken("a decoded value failed to encode", encoded.error().message);
  if (!options.any_line_ending && options.charset.empty() && canonical(bytes) && *encoded != bytes)
    broken("the round trip changed the bytes", bytes);
  auto again = qiao::hl7::decode(qiao::make_buffer(*encoded), options);
  if (!again) broken("the encoding failed to decode", again.error().message);
  if (!(*again == *decoded)) broken("the round trip changed the value", *encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  static const qiao::hl7::Options strict;
  static const qiao::hl7::Options lenient = [] {
    qiao::hl7::Options o;
    o.any_line_ending = true;
    o.max_segments = 200;
    return o;
  }();
  check(bytes, strict);
  check(bytes, lenient);
  return 0;
}
