#include "adapters/tcp/client/framing_spec.hpp"

#include <charconv>
#include <string>
#include <vector>

#include "core/text/hex.hpp"

namespace qiao::tcp {

const char* const framing_spec_help =
    "FRAMING: mllp | close | newline | crlf | etx | length:N[:binary|ascii|bcd][:self] | delimiter:HEX | fixed:N\n"
    "  length:2          2-byte big-endian binary length, then the payload (length:4, length:1 likewise)\n"
    "  length:4:ascii    4 decimal digits (\"0123\"); length:2:bcd: 2 bytes of packed digits (0x01 0x23)\n"
    "  length:2:binary:self  the number counts the prefix too\n"
    "  delimiter:03      the payload ends with byte 0x03 (delimiter:0d0a: CR LF)\n"
    "  fixed:512         every payload is 512 bytes\n"
    "  close             the payload ends when its sender closes (or half-closes) the connection\n";

namespace {

Error bad(std::string_view spec, const std::string& why) {
  return make_error(ErrorKind::config, "framing '" + std::string(spec) + "': " + why);
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto colon = text.find(':');
    parts.push_back(text.substr(0, colon));
    if (colon == std::string_view::npos) return parts;
    text.remove_prefix(colon + 1);
  }
}

std::optional<std::size_t> number(std::string_view text) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

Expected<Framing> parse_framing_spec(std::string_view spec, std::size_t max_frame) {
  Framing framing;
  framing.max_frame = max_frame;
  const auto parts = split(spec);
  const std::string_view kind = parts.front();
  if (parts.size() == 1) {
    if (kind == "mllp") framing.kind = FramingKind::mllp;
    else if (kind == "close") framing.kind = FramingKind::close;
    else if (kind == "newline" || kind == "lf") framing.kind = FramingKind::delimiter, framing.delimiter = "\n";
    else if (kind == "crlf") framing.kind = FramingKind::delimiter, framing.delimiter = "\r\n";
    else if (kind == "etx") framing.kind = FramingKind::delimiter, framing.delimiter = "\x03";
    else
      return bad(
          spec,
          "expected mllp, close, newline, crlf, etx, length:N[:binary|ascii|bcd][:self], delimiter:HEX or fixed:N");
    return framing;
  }
  if (kind == "length") {
    framing.kind = FramingKind::length;
    auto size = number(parts[1]);
    if (!size) return bad(spec, "'" + std::string(parts[1]) + "' is not a number of bytes or digits");
    framing.length_size = *size;
    std::size_t at = 2;
    if (at < parts.size() && parts[at] != "self") {
      if (parts[at] == "binary") framing.length_encoding = LengthEncoding::binary;
      else if (parts[at] == "ascii") framing.length_encoding = LengthEncoding::ascii;
      else if (parts[at] == "bcd") framing.length_encoding = LengthEncoding::bcd;
      else return bad(spec, "the length encoding is binary, ascii or bcd, not '" + std::string(parts[at]) + "'");
      ++at;
    }
    if (at < parts.size() && parts[at] == "self") {
      framing.length_includes_self = true;
      ++at;
    }
    if (at != parts.size()) return bad(spec, "unexpected '" + std::string(parts[at]) + "'");
    const bool size_ok = framing.length_encoding == LengthEncoding::binary ? (*size == 1 || *size == 2 || *size == 4)
                                                                           : (*size >= 1 && *size <= 8);
    if (!size_ok) {
      return bad(spec, framing.length_encoding == LengthEncoding::binary
                           ? "a binary length prefix has 1, 2 or 4 bytes"
                           : "a length prefix has 1 to 8 digits or bytes");
    }
    return framing;
  }
  if (parts.size() != 2) return bad(spec, "unexpected '" + std::string(parts[2]) + "'");
  if (kind == "delimiter") {
    auto bytes = from_hex(parts[1], "delimiter");
    if (!bytes || bytes->empty()) return bad(spec, "the delimiter is given as hex bytes, e.g. delimiter:03");
    framing.kind = FramingKind::delimiter;
    framing.delimiter = std::move(*bytes);
    return framing;
  }
  if (kind == "fixed") {
    auto size = number(parts[1]);
    if (!size || *size == 0) return bad(spec, "fixed needs a size of at least 1 byte");
    framing.kind = FramingKind::fixed;
    framing.fixed_size = *size;
    return framing;
  }
  return bad(spec, "unknown framing '" + std::string(kind) + "'");
}

}  // namespace qiao::tcp
