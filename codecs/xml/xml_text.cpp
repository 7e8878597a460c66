#include "codecs/xml/xml_text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "core/text/charset.hpp"

namespace qiao::xml {

namespace {

// A character XML 1.0 allows (the Char production).
bool xml_char(std::uint32_t c) {
  if (c < 0x20) return c == 0x9 || c == 0xA || c == 0xD;
  if (c >= 0xD800 && c <= 0xDFFF) return false;
  return c != 0xFFFE && c != 0xFFFF && c <= 0x10FFFF;
}

// The charset a document declares in <?xml … encoding="…"?>, as written; empty when none.
std::string_view declared_encoding(std::string_view text) {
  if (text.rfind("<?xml", 0) != 0 || text.size() < 6 || !is_xml_space(text[5])) return {};
  const std::size_t end = text.find("?>");
  if (end == std::string_view::npos || end > 1024) return {};
  const std::string_view decl = text.substr(0, end);
  std::size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return {};
  at += 8;
  while (at < decl.size() && is_xml_space(decl[at])) ++at;
  if (at >= decl.size() || decl[at] != '=') return {};
  ++at;
  while (at < decl.size() && is_xml_space(decl[at])) ++at;
  if (at >= decl.size() || (decl[at] != '"' && decl[at] != '\'')) return {};
  const std::size_t close = decl.find(decl[at], at + 1);
  if (close == std::string_view::npos) return {};
  return decl.substr(at + 1, close - at - 1);
}

}  // namespace

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool all_xml_space(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return is_xml_space(c); });
}

std::string line_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  std::size_t column = 1;
  for (std::size_t i = line_start; i < offset; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Expected<std::string> utf8_document(std::string_view bytes, std::string_view default_charset, std::string_view codec) {
  const auto bad_input = [codec](const std::string& message) {
    return make_error(ErrorKind::bad_input, std::string(codec) + ": " + message);
  };
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") return std::string(bytes.substr(3));
  std::string charset;
  if (bytes.size() >= 2 && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    charset = "UTF-16";
  } else if (const std::string_view declared = declared_encoding(bytes); !declared.empty()) {
    charset = normalize_charset(declared);
    if (!charset.empty() && !charset_supported(charset))
      return bad_input("unsupported encoding \"" + std::string(declared) + "\" in the XML declaration");
  } else {
    charset = default_charset;
  }
  if (charset.empty()) return std::string(bytes);
  std::size_t failed_at = 0;
  auto converted = to_utf8(bytes, charset, &failed_at);
  if (!converted) {
    std::string_view why = converted.error().message;
    if (why.rfind("charset: ", 0) == 0) why.remove_prefix(9);
    // Where, as every other XML error says it: the text before the bad byte converts.
    auto before = to_utf8(bytes.substr(0, failed_at), charset);
    if (!before) return bad_input(std::string(why));
    return bad_input(std::string(why) + " at " + line_column(*before, before->size()));
  }
  return converted;
}

std::size_t find_unreadable(std::string_view text, std::string& what) {
  if (const std::size_t bad = find_invalid_utf8(text); bad != std::string_view::npos) {
    what = "invalid UTF-8";
    return bad;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && !xml_char(c)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      what = std::string("control character ") + hex;
      return i;
    }
    if (c != '&' || i + 2 >= text.size() || text[i + 1] != '#') continue;
    std::size_t k = i + 2;
    const bool hex = text[k] == 'x';
    if (hex) ++k;
    std::uint32_t code = 0;
    std::size_t digits = 0;
    for (; k < text.size(); ++k, ++digits) {
      const char d = text[k];
      std::uint32_t v = 0;
      if (d >= '0' && d <= '9') v = static_cast<std::uint32_t>(d - '0');
      else if (hex && d >= 'a' && d <= 'f') v = static_cast<std::uint32_t>(d - 'a' + 10);
      else if (hex && d >= 'A' && d <= 'F') v = static_cast<std::uint32_t>(d - 'A' + 10);
      else break;
      code = std::min<std::uint32_t>(code * (hex ? 16 : 10) + v, 0x110000);  // saturates: beyond Unicode
    }
    if (digits == 0 || k >= text.size() || text[k] != ';') continue;  // not a reference: pugixml keeps it as text
    if (xml_char(code)) continue;
    what = "character reference " + std::string(text.substr(i, k + 1 - i)) + " to a character XML does not allow";
    return i;
  }
  return std::string_view::npos;
}

}  // namespace qiao::xml
