// libFuzzer target for the JSON codec. Beyond "no crash, no sanitizer report" it checks the
// codec's promises: errors are bad_input with a "json: " message; whatever decodes also encodes;
// the encoding decodes back to an equal Value; and encoding is canonical (a second round trip
// produces the same bytes).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "codecs/json/json_codec.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "json_fuzz: %s: %s\n", promise, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = qiao::make_buffer(std::string(reinterpret_cast<const char*>(data), size));
  auto decoded = qiao::json::decode(input);
  if (!decoded) {
    const qiao::Error& error = decoded.error();
    if (error.kind != qiao::ErrorKind::bad_input) broken("decode error kind is not bad_input", error.message);
    if (error.message.rfind("json: ", 0) != 0) broken("decode error lacks the json: prefix", error.message);
    return 0;
  }

  auto encoded = qiao::json::encode(*decoded);
  if (!encoded) broken("a decoded value failed to encode", encoded.error().message);

  auto again = qiao::json::decode(qiao::make_buffer(*encoded));
  if (!again) broken("the encoding failed to decode", again.error().message + " in " + *encoded);
  if (!(*again == *decoded)) broken("the round trip changed the value", *encoded);

  auto encoded_again = qiao::json::encode(*again);
  if (!encoded_again || *encoded_again != *encoded) broken("encoding is not canonical", *encoded);
  return 0;
}
