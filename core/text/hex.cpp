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
  std::string out;
  append_hex(out, bytes);
  return out;
}

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  const std::size_t start = out.size();
  out.resize(start + 2 * bytes.size());
  char* p = out.data() + start;
  for (unsigned char b : bytes) {
    *p++ = digits[b >> 4];
    *p++ = digits[b & 0x0F];
  }
}

std::size_t first_non_hex(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (digit_value(text[i]) < 0) return i;
  return std::string_view::npos;
}

Expected<std::string> from_hex(std::string_view hex, std::string_view what) {
  if (const std::size_t i = first_non_hex(hex); i != std::string_view::npos) {
    const auto c = static_cast<unsigned char>(hex[i]);
    const std::string shown = c >= 0x20 && c < 0x7F ? "'" + std::string(1, hex[i]) + "'" : "byte " + std::to_string(c);
    return make_error(ErrorKind::flow, std::string(what) + ": " + shown + " at position " + std::to_string(i + 1) +
                                           " is not a hex digit");
  }
  if (hex.size() % 2 != 0)
    return make_error(ErrorKind::flow,
                      std::string(what) + ": an odd number of hex digits (" + std::to_string(hex.size()) + ")");
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(digit_value(hex[2 * i]) * 16 + digit_value(hex[2 * i + 1]));
  return out;
}

}  // namespace qiao
