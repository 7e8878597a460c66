#include "codecs/iso8583/bitmap.hpp"

#include "codecs/iso8583/wire.hpp"
#include "core/text/hex.hpp"

namespace qiao::iso8583 {

std::size_t Bitmap::read(std::string_view wire, Encoding encoding, int index) {
  std::uint8_t* target = bytes_.data() + 8 * index;
  if (encoding != Encoding::hex) {
    for (std::size_t i = 0; i < 8; ++i) target[i] = static_cast<std::uint8_t>(wire[i]);
    return std::string_view::npos;
  }
  if (std::size_t bad = first_non_hex(wire.substr(0, 16)); bad != std::string_view::npos) return bad;
  const auto bytes = from_hex(wire.substr(0, 16), "bitmap");
  for (std::size_t i = 0; i < 8; ++i) target[i] = static_cast<std::uint8_t>((*bytes)[i]);
  return std::string_view::npos;
}

void Bitmap::write(Encoding encoding, std::string& out) const {
  const std::size_t count = secondary() ? 16 : 8;
  const std::string_view raw(reinterpret_cast<const char*>(bytes_.data()), count);
  if (encoding == Encoding::hex) append_hex(out, raw);
  else out.append(raw);
}

}  // namespace qiao::iso8583
