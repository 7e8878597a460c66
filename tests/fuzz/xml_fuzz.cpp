// libFuzzer target for the XML codec. Beyond "no crash, no hang, no sanitizer report" it checks
// the codec's promises: errors are bad_input/too_large with an "xml: " message; whatever decodes
// also encodes; the encoding decodes back to an equal Value; and encoding is canonical. The
// first input byte picks an option set, so arrays=, nested= and cdata= paths are fuzzed too.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "codecs/xml/xml_codec.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "xml_fuzz: %s: %s\n", promise, detail.c_str());
  std::abort();
}

const qiao::xml::Options& options_for(std::uint8_t selector) {
  static const qiao::xml::Options sets[] = {
      qiao::xml::Options{},
      qiao::xml::Options{.arrays = {"Item", "OBX"}},
      qiao::xml::Options{.nested = {"Data", "ResultXml"}, .cdata = {"Data"}, .max_depth = 16},
      qiao::xml::Options{.encoding = "GBK", .declaration = false},
  };
  return sets[selector % 4];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const qiao::xml::Options& options = options_for(data[0]);
  auto input = qiao::make_buffer(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  auto decoded = qiao::xml::decode(input, options);
  if (!decoded) {
    const qiao::Error& error = decoded.error();
    if (error.kind != qiao::ErrorKind::bad_input && error.kind != qiao::ErrorKind::too_large)
      broken("decode error kind is not bad_input", error.message);
    if (error.message.rfind("xml: ", 0) != 0) broken("decode error lacks the xml: prefix", error.message);
    return 0;
  }

  // The GBK option set may meet characters GBK cannot hold: round-trip through UTF-8 instead.
  qiao::xml::Options utf8 = options;
  utf8.encoding.clear();
  auto encoded = qiao::xml::encode(*decoded, utf8);
  if (!encoded) broken("a decoded value failed to encode", encoded.error().message);

  auto again = qiao::xml::decode(qiao::make_buffer(*encoded), utf8);
  if (!again) broken("the encoding failed to decode", again.error().message + " in " + *encoded);
  if (!(*again == *decoded)) broken("the round trip changed the value", *encoded);

  auto encoded_again = qiao::xml::encode(*again, utf8);
  if (!encoded_again || *encoded_again != *encoded) broken("encoding is not canonical", *encoded);
  return 0;
}
