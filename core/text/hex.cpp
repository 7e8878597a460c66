#include "core/text/hex.hpp"

namespace qiao {

namespace {

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

Expected<std::string> from_hex(std::string_view hex, std::string_view what) {
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (digit_value(hex[i]) < 0) {
      const auto c = static_cast<unsigned char>(hex[i]);
      const std::string shown = c >= 0x20 && c < 0x7F ? "'" + std::string(1, hex[i]) + "'" : "byte " + std::to_string(c);
      return make_error(ErrorKind::flow, std::string(what) + ": " + shown + " at position " + std::to_string(i + 1) +
                                             " is not a hex digit");
    }
  }
  if (hex.size() % 2 != 0)
    return make_error(ErrorKind::flow, std::string(what) + ": an odd number of hex digits (" +
                                           std::to_string(hex.size()) + ")");
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out += static_cast<char>(digit_value(hex[i]) * 16 + digit_value(hex[i + 1]));
  return out;
}

}  // namespace qiao
