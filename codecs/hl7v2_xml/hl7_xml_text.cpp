#include "codecs/hl7v2_xml/hl7_xml_text.hpp"

namespace qiao::hl7xml {

namespace {

bool is_separator(char c, const hl7::Separators& seps) {
  return c == seps.field || c == seps.component || (seps.repetition != '\0' && c == seps.repetition) ||
         (seps.subcomponent != '\0' && c == seps.subcomponent);
}

}  // namespace

bool is_er7_text(std::string_view text, const hl7::Separators& seps) {
  const bool escapes = seps.escape != '\0';
  for (const char c : text) {
    if (c == '\r' || c == '\n') return false;
    if (escapes ? c == seps.escape : is_separator(c, seps)) return false;
  }
  return true;
}

std::string er7_text(std::string_view text, const hl7::Separators& seps) {
  std::string out;
  out.reserve(text.size() + 8);
  const char esc = seps.escape;
  const auto hex_escape = [&](const char* code) {
    out += esc;
    out += code;
    out += esc;
  };
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (esc == '\0') {  // hl7::encode writes a blank where it cannot escape
      out += (c == '\r' || c == '\n' || is_separator(c, seps)) ? ' ' : c;
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      hex_escape(c == '\r' ? "X0D" : "X0A");
      ++i;
      continue;
    }
    if (c != esc) {
      out += c;  // a separator character: written as \F\ …, read back as itself
      ++i;
      continue;
    }
    const std::size_t n = hl7::escape_length(text.substr(i), seps);
    if (n == 0) {
      hex_escape("E");
      ++i;
      continue;
    }
    if (const char separator = hl7::escaped_separator(text.substr(i, n), seps); separator != '\0') out += separator;
    else out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace qiao::hl7xml
