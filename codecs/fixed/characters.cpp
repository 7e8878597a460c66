// Character boundaries in the charsets fixed-length files are written in. Field lengths count
// bytes, and a field must never end inside a two- or four-byte character: decode refuses such a
// file naming the field, encode pads (or, with truncate, cuts before the character).

#include <optional>

#include "codecs/fixed/detail.hpp"

namespace qiao::fixed::detail {

namespace {

unsigned char at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

std::size_t utf8_length(std::string_view s, std::size_t i) {
  const unsigned char c = at(s, i);
  std::size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3;
  else if (c >= 0xF0 && c <= 0xF4) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((at(s, i + k) & 0xC0) != 0x80) return 0;
  const unsigned char c1 = at(s, i + 1);
  if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
    return 0;  // overlong forms, surrogates, beyond U+10FFFF
  return n;
}

bool is_lead(unsigned char c) { return c >= 0x81 && c <= 0xFE; }
// GBK's and Big5's second bytes together; iconv checks the exact pairs when the field is converted.
bool is_trail(unsigned char c) { return c >= 0x40 && c <= 0xFE && c != 0x7F; }
bool is_digit(unsigned char c) { return c >= 0x30 && c <= 0x39; }

}  // namespace

std::optional<CharsetFamily> charset_family(std::string_view name) {
  if (name.empty()) return CharsetFamily::utf8;
  if (name == "GB18030") return CharsetFamily::gb18030;
  if (name == "GBK" || name == "GB2312" || name == "EUC-CN" || name == "BIG5" || name == "BIG5-HKSCS" ||
      name == "CP950" || name == "EUC-KR" || name == "CP949")
    return CharsetFamily::double_byte;
  if (name.rfind("ISO-8859-", 0) == 0 || name.rfind("WINDOWS-125", 0) == 0 || name.rfind("CP125", 0) == 0 ||
      name == "LATIN1")
    return CharsetFamily::single_byte;
  return std::nullopt;
}

std::size_t char_length(std::string_view s, std::size_t i, CharsetFamily family) {
  const unsigned char c = at(s, i);
  if (c < 0x80 || family == CharsetFamily::single_byte) return 1;
  switch (family) {
    case CharsetFamily::utf8: return utf8_length(s, i);
    case CharsetFamily::double_byte: return is_lead(c) && i + 1 < s.size() && is_trail(at(s, i + 1)) ? 2 : 0;
    case CharsetFamily::gb18030:
      if (!is_lead(c) || i + 1 >= s.size()) return 0;
      if (is_trail(at(s, i + 1))) return 2;
      if (is_digit(at(s, i + 1)) && i + 3 < s.size() && is_lead(at(s, i + 2)) && is_digit(at(s, i + 3))) return 4;
      return 0;
    case CharsetFamily::single_byte: return 1;
  }
  return 0;
}

bool is_ascii(std::string_view bytes) {
  unsigned char any = 0;
  for (unsigned char c : bytes) any |= c;
  return any < 0x80;
}

std::size_t whole_chars_prefix(std::string_view bytes, std::size_t limit, CharsetFamily family) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::size_t n = char_length(bytes, i, family);
    if (n == 0 || i + n > limit) break;
    i += n;
  }
  return i;
}

std::string quoted(std::string_view text) {
  constexpr std::size_t max = 40;
  std::string out = "'";
  std::size_t end = text.size();
  bool cut = false;
  if (end > max) {
    end = max;
    while (end > 0 && (at(text, end) & 0xC0) == 0x80) --end;  // whole UTF-8 characters
    cut = true;
  }
  static constexpr char digits[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < end;) {
    const unsigned char c = at(text, i);
    const std::size_t n = c < 0x80 ? 1 : utf8_length(text, i);
    if (c < 0x20 || c == 0x7F || n == 0) {  // control bytes and bytes that are not UTF-8 (raw GBK)
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 0x0F];
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out + (cut ? "…'" : "'");
}

std::string_view type_name(FieldType type) {
  switch (type) {
    case FieldType::string: return "string";
    case FieldType::integer: return "integer";
    case FieldType::decimal: return "decimal";
    case FieldType::date: return "date";
  }
  return "string";
}

std::string_view charset_label(const Layout& layout) {
  return layout.charset.empty() ? std::string_view("UTF-8") : std::string_view(layout.charset);
}

void append_padded(std::string& out, std::string_view text, const Field& field) {
  const std::size_t fill = field.length > text.size() ? field.length - text.size() : 0;
  if (field.align == Align::right) out.append(fill, field.pad);
  out += text;
  if (field.align == Align::left) out.append(fill, field.pad);
}

}  // namespace qiao::fixed::detail
