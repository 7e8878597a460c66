// libFuzzer target for the hl7v2-xml codec. Beyond "no crash, no hang, no sanitizer report" it
// checks the codec's promises: decode errors are bad_input/too_large with an "hl7v2-xml: " message;
// whatever decodes also encodes; the encoding decodes back to an equal Value and encodes to the
// same text again; and the Value is the one hl7v2 gives for the same message in ER7 (whenever
// hl7v2 can write it in UTF-8). The first input byte picks an option set.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"
#include "core/text/charset.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "hl7v2_xml_fuzz: %s: %s\n", promise, detail.c_str());
  std::abort();
}

const qiao::hl7xml::Options& options_for(std::uint8_t selector) {
  static const qiao::hl7xml::Options sets[] = {
      qiao::hl7xml::Options{},
      qiao::hl7xml::Options{.indent = 2},
      qiao::hl7xml::Options{.declaration = false, .max_segments = 20},
      qiao::hl7xml::Options{.encoding = "GBK", .indent = 1},
  };
  return sets[selector % 4];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const qiao::hl7xml::Options& options = options_for(data[0]);
  auto input = qiao::make_buffer(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  auto decoded = qiao::hl7xml::decode(input, options);
  if (!decoded) {
    const qiao::Error& error = decoded.error();
    if (error.kind != qiao::ErrorKind::bad_input && error.kind != qiao::ErrorKind::too_large)
      broken("decode error kind is not bad_input", error.message);
    if (error.message.rfind("hl7v2-xml: ", 0) != 0) broken("decode error lacks the hl7v2-xml: prefix", error.message);
    return 0;
  }

  // The GBK option set may meet characters GBK cannot hold: round-trip through UTF-8 instead.
  qiao::hl7xml::Options utf8 = options;
  utf8.encoding.clear();
  auto encoded = qiao::hl7xml::encode(*decoded, utf8);
  if (!encoded) broken("a decoded value failed to encode", encoded.error().message);
  auto again = qiao::hl7xml::decode(qiao::make_buffer(*encoded), utf8);
  if (!again) broken("the encoding failed to decode", again.error().message + " in " + *encoded);
  if (!(*again == *decoded)) broken("the round trip changed the value", *encoded);
  auto encoded_again = qiao::hl7xml::encode(*again, utf8);
  if (!encoded_again || *encoded_again != *encoded) broken("encoding is not canonical", *encoded);

  // Same Value as hl7v2: MSH-18 naming another charset changes the ER7 bytes (and may not hold
  // every character), so only messages hl7v2 writes as UTF-8 are compared.
  if (!qiao::normalize_charset(qiao::hl7::declared_charset(*decoded)).empty()) return 0;
  auto er7 = qiao::hl7::encode(*decoded);
  if (!er7) broken("hl7v2 cannot write what hl7v2-xml decoded", er7.error().message + " in " + *encoded);
  auto from_er7 = qiao::hl7::decode(qiao::make_buffer(*er7));
  if (!from_er7) broken("hl7v2 cannot read its own ER7 of the value", from_er7.error().message + " in " + *er7);
  if (!(*from_er7 == *decoded)) broken("hl7v2 reads the ER7 form as another value", *er7 + "\nfrom " + *encoded);
  return 0;
}
