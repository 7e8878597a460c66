#pragma once
// ASCII case folding for protocol tokens (header names, methods, schemes, hex digits): only A-Z
// and a-z change, whatever the locale, so a UTF-8 or GBK byte is never touched.

#include <string>
#include <string_view>

namespace qiao {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

inline std::string ascii_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_upper(c);
  return out;
}

}  // namespace qiao
