// libFuzzer target for the iso8583 codec. The first byte picks a shipped dialect (UnionPay POS,
// ISO 8583:1987 binary, ISO 8583:1987 ASCII, read from config/iso8583/ as the gateway reads them);
// the rest is the message. Beyond "no crash, no sanitizer report" it checks the codec's promises:
// decode errors are bad_input (or too_large) with an "iso8583: " message ending in a byte offset;
// whatever decodes also encodes; the encoding decodes back to an equal Value; and encoding that
// Value again gives the same bytes (decode accepts variants — F pad nibbles, lower-case hex, long
// TLV length forms, an empty secondary bitmap — that encode writes one way).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "codecs/iso8583/iso8583_answers.hpp"
#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/response.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "iso8583_fuzz: %s: %s\n", promise, detail.c_str());
  std::abort();
}

std::vector<qiao::iso8583::Spec> load_dialects() {
  std::vector<qiao::iso8583::Spec> specs;
  for (const char* name : {"cup", "iso87binary", "iso87ascii"}) {
    auto spec = qiao::iso8583::load_argument(name, QIAO_SOURCE_DIR);
    if (!spec) broken("dialect does not load", spec.error().message);
    specs.push_back(std::move(*spec));
  }
  return specs;
}

// What a tcp source answers when a request fails (the codec's Iso8583Answers): the response
// skeleton of what could be read, with field 39, must encode and decode again.
void check_error_answer(const qiao::Buffer& input, const qiao::iso8583::Spec& spec) {
  const qiao::Error refused{qiao::ErrorKind::bad_input, "refused"};
  auto built = qiao::iso8583::Iso8583Answers(spec).answer(input, &refused);
  if (!built) broken("the error answer to a request does not encode", built.error().message);
  const std::string& answer = *built;
  if (answer.empty()) {
    const qiao::Value readable = qiao::iso8583::readable_part(input, spec);
    if (!readable.is_null() && qiao::iso8583::make_response(readable, spec))
      broken("no error answer to a request that has a response", "");
    return;
  }
  if (!qiao::iso8583::decode(qiao::make_buffer(answer), spec)) broken("the error answer does not decode", answer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<qiao::iso8583::Spec> dialects = load_dialects();
  if (size == 0) return 0;
  const qiao::iso8583::Spec& spec = dialects[data[0] % dialects.size()];
  auto input = qiao::make_buffer(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));

  auto decoded = qiao::iso8583::decode(input, spec);
  if (!decoded) {
    const qiao::Error& error = decoded.error();
    if (error.kind != qiao::ErrorKind::bad_input && error.kind != qiao::ErrorKind::too_large)
      broken("decode error kind is neither bad_input nor too_large", error.message);
    if (error.message.rfind("iso8583: ", 0) != 0) broken("decode error lacks the iso8583: prefix", error.message);
    if (error.kind == qiao::ErrorKind::bad_input && error.message.find(" at byte ") == std::string::npos)
      broken("decode error names no byte", error.message);
    check_error_answer(input, spec);
    return 0;
  }

  auto encoded = qiao::iso8583::encode(*decoded, spec);
  if (!encoded) broken("a decoded value failed to encode", encoded.error().message);
  auto again = qiao::iso8583::decode(qiao::make_buffer(*encoded), spec);
  if (!again) broken("the encoding failed to decode", again.error().message);
  if (!(*again == *decoded)) broken("the round trip changed the value", *encoded);
  auto twice = qiao::iso8583::encode(*again, spec);
  if (!twice || *twice != *encoded) broken("encoding is not stable", *encoded);

  // The helpers accept whatever decodes.
  auto response = qiao::iso8583::make_response(*decoded, spec);
  const std::string_view mti = decoded->find("mti")->as_string();
  if (!response && (mti[2] - '0') % 2 == 0) broken("no response to a request", response.error().message);
  if (!(qiao::iso8583::readable_part(input, spec) == *decoded)) broken("readable_part differs from decode", "");
  check_error_answer(input, spec);
  (void)qiao::iso8583::mac_input(input, spec);
  return 0;
}
