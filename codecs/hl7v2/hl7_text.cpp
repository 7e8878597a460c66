#include "codecs/hl7v2/hl7_text.hpp"

#include <cstdlib>

#include "core/text/charset.hpp"

namespace qiao::hl7 {

namespace {

void append_escape(std::string& out, const Separators& seps, std::string_view code) {
  out += seps.escape;
  out += code;
  out += seps.escape;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;  // escape_length has checked it is a hex digit
}

// The bytes of "\Xhhhh\"'s body, or the sequence as written when they are no UTF-8 text (a Value
// holds UTF-8; the bytes' charset is unknown).
std::string hex_bytes(std::string_view hex, std::string_view as_written) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes += static_cast<char>(hex_digit(hex[i]) * 16 + hex_digit(hex[i + 1]));
  if (find_invalid_utf8(bytes) != std::string_view::npos) return std::string(as_written);
  return bytes;
}

}  // namespace

std::string escape_text(std::string_view plain, const Separators& seps) {
  std::string out;
  out.reserve(plain.size() + plain.size() / 8);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const char c = plain[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < plain.size() && plain[i + 1] == '\n') ++i;
      append_escape(out, seps, ".br");
    } else if (c == seps.escape && seps.escape != '\0') {
      append_escape(out, seps, "E");
    } else if (c == seps.field) {
      append_escape(out, seps, "F");
    } else if (c == seps.component) {
      append_escape(out, seps, "S");
    } else if (c == seps.subcomponent && seps.subcomponent != '\0') {
      append_escape(out, seps, "T");
    } else if (c == seps.repetition && seps.repetition != '\0') {
      append_escape(out, seps, "R");
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_text(std::string_view escaped, const Separators& seps) {
  std::string out;
  out.reserve(escaped.size());
  std::size_t i = 0;
  while (i < escaped.size()) {
    const std::size_t n = escaped[i] == seps.escape ? escape_length(escaped.substr(i), seps) : 0;
    if (n == 0) {
      out += escaped[i++];
      continue;
    }
    const std::string_view body = escaped.substr(i + 1, n - 2);
    switch (body[0]) {
      case 'F': out += seps.field; break;
      case 'S': out += seps.component; break;
      case 'T': out += seps.subcomponent == '\0' ? '&' : seps.subcomponent; break;
      case 'R': out += seps.repetition == '\0' ? '~' : seps.repetition; break;
      case 'E': out += seps.escape; break;
      case 'X': out += hex_bytes(body.substr(1), escaped.substr(i, n)); break;
      case '.':
        if (body == ".br") {
          out += '\n';
        } else if (body.substr(0, 3) == ".sp") {
          // \.sp\ alone is one line; \.sp+2\ or \.sp2\ that many.
          const long lines = body.size() > 3 ? std::strtol(std::string(body.substr(3)).c_str(), nullptr, 10) : 1;
          out.append(static_cast<std::size_t>(lines > 0 ? (lines < 100 ? lines : 100) : 0), '\n');
        }
        break;         // the other formatting commands only move the cursor of a display
      default: break;  // \H\ \N\ \Z..\ \C..\ \M..\: highlighting and charset switches
    }
    i += n;
  }
  return out;
}

Separators message_separators(const Value& message) {
  const Value* first = nullptr;
  if (const Value* segments = message.find("segments");
      segments && segments->is_array() && !segments->as_array().empty())
    first = &segments->as_array().front();
  else if (const Value* header = message.find("header"); header && header->is_array() && !header->as_array().empty())
    first = &header->as_array().front();
  else if (const Value* messages = message.find("messages");
           messages && messages->is_array() && !messages->as_array().empty())
    return message_separators(messages->as_array().front());
  Separators seps;
  if (first == nullptr) return seps;
  const Value* fields = first->find("fields");
  if (fields == nullptr || !fields->is_array() || fields->as_array().size() < 2) return seps;
  const Value& msh1 = fields->as_array()[0];
  const Value& msh2 = fields->as_array()[1];
  if (!msh1.is_string() || !msh2.is_string()) return seps;
  Separators read;
  if (read_separators(msh1.as_string(), msh2.as_string(), read).empty()) seps = read;
  return seps;
}

}  // namespace qiao::hl7
