#include "codecs/iso8583/wire.hpp"

#include <array>

namespace qiao::iso8583 {

namespace {

// IBM-1047 code points of ASCII 0x20..0x7E.
constexpr std::array<unsigned char, 95> ebcdic_of_printable{{
    0x40, 0x5A, 0x7F, 0x7B, 0x5B, 0x6C, 0x50, 0x7D, 0x4D, 0x5D, 0x5C, 0x4E, 0x6B, 0x60, 0x4B, 0x61,  // space … /
    0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9,                                      // 0 … 9
    0x7A, 0x5E, 0x4C, 0x7E, 0x6E, 0x6F, 0x7C,                                                        // : … @
    0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xD1, 0xD2, 0xD3, 0xD4,                    // A … M
    0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9,                    // N … Z
    0xAD, 0xE0, 0xBD, 0x5F, 0x6D, 0x79,                                                              // [ \ ] ^ _ `
    0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x91, 0x92, 0x93, 0x94,                    // a … m
    0x95, 0x96, 0x97, 0x98, 0x99, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9,                    // n … z
    0xC0, 0x4F, 0xD0, 0xA1,                                                                          // { | } ~
}};

constexpr std::array<short, 256> make_ascii_of_ebcdic() {
  std::array<short, 256> table{};
  for (auto& entry : table) entry = -1;
  for (std::size_t i = 0; i < ebcdic_of_printable.size(); ++i)
    table[ebcdic_of_printable[i]] = static_cast<short>(0x20 + i);
  return table;
}

constexpr std::array<short, 256> ascii_of_ebcdic = make_ascii_of_ebcdic();

}  // namespace

int ebcdic_to_ascii(unsigned char c) { return ascii_of_ebcdic[c]; }

int ascii_to_ebcdic(unsigned char c) {
  if (c < 0x20 || c > 0x7E) return -1;
  return ebcdic_of_printable[c - 0x20];
}

bool admits(FieldType type, unsigned char c) {
  const bool digit = c >= '0' && c <= '9';
  const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  switch (type) {
    case FieldType::n: return digit;
    case FieldType::a: return letter || c == ' ';
    case FieldType::an:
    case FieldType::anp: return letter || digit || c == ' ';
    case FieldType::z: return digit || c == '=' || c == 'D';
    case FieldType::xn: return digit || c == 'C' || c == 'D';
    case FieldType::ans:
    case FieldType::as:
    case FieldType::ns:
    case FieldType::b: return true;
  }
  return false;
}

void pack_bcd(std::string_view digits, Pad pad, std::string& out) {
  const bool odd = digits.size() % 2 != 0;
  const int filler = (pad == Pad::left_f || pad == Pad::right_f) ? 0xF : 0x0;
  const bool pad_left = pad == Pad::left || pad == Pad::left_f;
  std::size_t i = 0;
  if (odd && pad_left) {
    out += static_cast<char>(filler << 4 | nibble_of(digits[0], true));
    i = 1;
  }
  for (; i + 1 < digits.size(); i += 2)
    out += static_cast<char>(nibble_of(digits[i], true) << 4 | nibble_of(digits[i + 1], true));
  if (i < digits.size()) out += static_cast<char>(nibble_of(digits[i], true) << 4 | filler);
}

}  // namespace qiao::iso8583
