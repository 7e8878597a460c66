// libFuzzer target for the tcp framing reader, which reads bytes straight from the network.
// Beyond "no crash, no hang, no sanitizer report": the payloads do not depend on how the bytes
// were split into reads, none exceeds max_frame, and each payload framed again reads back as itself.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "adapters/tcp/framing/frame_reader.hpp"
#include "adapters/tcp/framing/framing.hpp"

namespace {

using qiao::tcp::Framing;
using qiao::tcp::FramingKind;
using qiao::tcp::LengthEncoding;

[[noreturn]] void broken(const char* promise) {
  std::fprintf(stderr, "framing_fuzz: %s\n", promise);
  std::abort();
}

Framing pick(std::uint8_t selector) {
  Framing f;
  f.max_frame = 512;
  switch (selector % 9) {
    case 0: f.kind = FramingKind::mllp; break;
    case 1:
      f.kind = FramingKind::length;
      f.length_size = 2;
      break;
    case 2:
      f.kind = FramingKind::length;
      f.length_size = 4;
      f.length_encoding = LengthEncoding::ascii;
      break;
    case 3:
      f.kind = FramingKind::length;
      f.length_size = 2;
      f.length_encoding = LengthEncoding::bcd;
      f.length_includes_self = true;
      break;
    case 4:
      f.kind = FramingKind::length;
      f.length_size = 1;
      f.length_adjust = 3;
      break;
    case 5:
      f.kind = FramingKind::delimiter;
      f.delimiter = "\r\n";
      break;
    case 6:
      f.kind = FramingKind::delimiter;
      f.delimiter = "\x03";
      break;
    case 7:
      f.kind = FramingKind::fixed;
      f.fixed_size = 7;
      break;
    default: f.kind = FramingKind::close; break;
  }
  return f;
}

// Payloads of `bytes` read in pieces of `piece`; `failed` says whether the stream broke.
std::vector<std::string> read_all(const Framing& framing, std::string_view bytes, std::size_t piece, bool& failed) {
  qiao::tcp::FrameReader reader(framing);
  std::vector<std::string> payloads;
  failed = false;
  for (std::size_t at = 0; at < bytes.size() && !failed; at += piece) {
    reader.feed(bytes.substr(at, piece));
    for (;;) {
      auto next = reader.next();
      if (!next) {
        failed = true;
        break;
      }
      if (!*next) break;
      if ((*next)->size() > framing.max_frame) broken("a payload over max_frame");
      payloads.push_back(std::move(**next));
    }
  }
  if (!failed) {
    auto last = reader.finish();
    if (!last) failed = true;
    else if (*last) payloads.push_back(std::move(**last));
  }
  return payloads;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Framing framing = pick(data[0]);
  const std::size_t piece = 1 + data[1] % 13;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  bool whole_failed = false;
  bool pieces_failed = false;
  const auto whole = read_all(framing, bytes, bytes.size() + 1, whole_failed);
  const auto pieces = read_all(framing, bytes, piece, pieces_failed);
  // A broken stream may be noticed after fewer payloads when read in pieces; one read whole
  // must give the same payloads up to where the other stopped.
  if (!whole_failed && !pieces_failed && whole != pieces) broken("payloads depend on how the bytes were split");
  for (std::size_t i = 0; i < whole.size() && i < pieces.size(); ++i)
    if (whole[i] != pieces[i]) broken("payloads depend on how the bytes were split");

  for (const auto& payload : whole) {
    auto framed = qiao::tcp::frame(framing, payload);
    if (!framed) continue;  // e.g. a delimited payload cannot hold the delimiter — it never does here
    bool failed = false;
    const auto again = read_all(framing, *framed, piece, failed);
    if (failed || again.size() != 1 || again.front() != payload) broken("a framed payload does not read back");
  }
  return 0;
}
