#pragma once
// The byte-level pieces every field is made of: BCD nibbles, EBCDIC characters, and which
// characters each ISO 8583 type admits. Shared by the decoder, the encoder and the spec loader;
// hex text is core/text/hex.hpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/iso8583/spec.hpp"

namespace qiao::iso8583 {

// IBM-1047 for printable ASCII (space to '~'): what payment hosts mean by EBCDIC. -1 when the
// byte has no printable counterpart.
int ebcdic_to_ascii(unsigned char c);
int ascii_to_ebcdic(unsigned char c);

// Whether a character may appear in a field of this type (as ASCII; after EBCDIC translation).
// n: digits; a: letters and space; an, anp: letters, digits and space; z: digits, '=' and 'D';
// ans, as, ns: any byte (Chinese dialects carry GBK in them); x+n: checked by position.
bool admits(FieldType type, unsigned char c);

// The nibble a character packs to in BCD: digits, and for track data '=' or 'D' as 0xD.
// -1 for anything else.
inline int nibble_of(char c, bool track) {
  if (c >= '0' && c <= '9') return c - '0';
  if (track && (c == '=' || c == 'D' || c == 'd')) return 0xD;
  return -1;
}

// Packs characters already checked with nibble_of as BCD, an odd count padded as `pad` says.
void pack_bcd(std::string_view digits, Pad pad, std::string& out);

// Bytes `digits` take as BCD.
inline std::size_t bcd_bytes(std::size_t digits) { return (digits + 1) / 2; }

}  // namespace qiao::iso8583
