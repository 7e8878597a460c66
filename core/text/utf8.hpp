#pragma once
// Strict UTF-8 checks (RFC 3629): the one validator every codec and the charset conversions use.
// Inline, because encoders call them per string on the message path.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace qiao {

// Length of the well-formed UTF-8 sequence starting at p, or 0 when it is malformed: overlong
// forms, UTF-16 surrogates and code points above U+10FFFF are malformed, as RFC 3629 says.
inline std::size_t utf8_sequence_length(const unsigned char* p, std::size_t available) {
  auto continues = [&](std::size_t k, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return k < available && p[k] >= low && p[k] <= high;
  };
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return continues(1) ? 2 : 0;
  if (c == 0xE0) return continues(1, 0xA0) && continues(2) ? 3 : 0;
  if (c == 0xED) return continues(1, 0x80, 0x9F) && continues(2) ? 3 : 0;
  if (c >= 0xE1 && c <= 0xEF) return continues(1) && continues(2) ? 3 : 0;
  if (c == 0xF0) return continues(1, 0x90) && continues(2) && continues(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return continues(1) && continues(2) && continues(3) ? 4 : 0;
  if (c == 0xF4) return continues(1, 0x80, 0x8F) && continues(2) && continues(3) ? 4 : 0;
  return 0;
}

// Offset of the first byte of s that does not start a well-formed sequence, or npos.
inline std::size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Message text is mostly ASCII: skip it eight bytes at a time.
    if (n - i >= 8) {
      std::uint64_t chunk;
      std::memcpy(&chunk, p + i, 8);
      if ((chunk & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const std::size_t length = utf8_sequence_length(p + i, n - i);
    if (length == 0) return i;
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace qiao
