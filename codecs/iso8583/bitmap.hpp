#pragma once
// The primary and secondary bitmaps: which fields a message carries. Bit 1 of the primary
// bitmap announces the secondary one; the encoder sets it only when a field above 64 is present.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codecs/iso8583/spec.hpp"

namespace qiao::iso8583 {

class Bitmap {
 public:
  bool test(int field) const { return (bytes_[(field - 1) / 8] & (0x80 >> ((field - 1) % 8))) != 0; }
  void set(int field) { bytes_[(field - 1) / 8] |= static_cast<std::uint8_t>(0x80 >> ((field - 1) % 8)); }
  bool secondary() const { return test(1); }

  // Bytes one bitmap (primary or secondary) takes on the wire.
  static std::size_t wire_size(Encoding encoding) { return encoding == Encoding::hex ? 16 : 8; }

  // Reads one bitmap (index 0: primary, 1: secondary) from `wire`, which holds wire_size bytes.
  // For hex, returns the index of the first bad character, else npos.
  std::size_t read(std::string_view wire, Encoding encoding, int index);
  // Appends the primary bitmap, and the secondary when bit 1 is set.
  void write(Encoding encoding, std::string& out) const;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace qiao::iso8583
