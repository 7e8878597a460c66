#include "adapters/tcp/framing/framing.hpp"

#include <array>
#include <cstdio>

#include "core/config/schema.hpp"

namespace qiao::tcp {

namespace {

constexpr ConfigKey framing_keys[] = {
    {"length", KeyType::integer, "",
     "a length prefix of this many bytes (binary: 1, 2 or 4; ascii: digits; bcd: bytes)"},
    {"encoding", KeyType::string, "binary", "length prefix: binary (big-endian), ascii (decimal digits) or bcd"},
    {"includes_self", KeyType::boolean, "false", "length prefix: the number counts the prefix too"},
    {"adjust", KeyType::integer, "0", "length prefix: bytes after the prefix the number does not count (a header)"},
    {"delimiter", KeyType::string, "", "each payload ends with these bytes (YAML escapes: \"\\n\", \"\\x03\")"},
    {"fixed", KeyType::size, "", "every payload has exactly this many bytes"},
    {"mllp", KeyType::any, "", "MLLP blocks: 0x0B payload 0x1C 0x0D (write `framing: mllp`)"},
    {"close", KeyType::any, "", "one payload per connection, ended by the peer closing (write `framing: close`)"},
};

std::size_t largest_length(const Framing& f) {
  if (f.length_encoding == LengthEncoding::binary)
    return f.length_size >= 4 ? 0xFFFFFFFFu : (std::size_t{1} << (8 * f.length_size)) - 1;
  const std::size_t digits = f.length_encoding == LengthEncoding::ascii ? f.length_size : 2 * f.length_size;
  std::size_t largest = 1;
  for (std::size_t i = 0; i < digits && largest < (std::size_t{1} << 40); ++i) largest *= 10;
  return largest - 1;
}

}  // namespace

std::string show_bytes(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    std::array<char, 8> hex{};
    std::snprintf(hex.data(), hex.size(), "%s0x%02X", out.empty() ? "" : " ", c);
    out += hex.data();
  }
  return out;
}

std::string Framing::describe() const {
  switch (kind) {
    case FramingKind::mllp: return "mllp";
    case FramingKind::close: return "close";
    case FramingKind::fixed: return "fixed " + std::to_string(fixed_size);
    case FramingKind::delimiter: return "delimiter " + show_bytes(delimiter);
    case FramingKind::length: {
      std::string s = "length " + std::to_string(length_size) + " " +
                      (length_encoding == LengthEncoding::binary  ? "binary"
                       : length_encoding == LengthEncoding::ascii ? "ascii"
                                                                  : "bcd");
      if (length_includes_self) s += " including itself";
      if (length_adjust != 0) s += " adjust " + std::to_string(length_adjust);
      return s;
    }
  }
  return "?";
}

std::optional<Framing> parse_framing(const ConfigNode& node, std::size_t max_frame, Diagnostics& diag) {
  Framing f;
  f.max_frame = max_frame;
  if (node.is_scalar()) {
    const std::string name = node.scalar();
    if (name == "mllp") f.kind = FramingKind::mllp;
    else if (name == "close") f.kind = FramingKind::close;
    else if (name == "newline" || name == "lf") f.kind = FramingKind::delimiter, f.delimiter = "\n";
    else if (name == "crlf") f.kind = FramingKind::delimiter, f.delimiter = "\r\n";
    else if (name == "etx") f.kind = FramingKind::delimiter, f.delimiter = "\x03";
    else {
      diag.error(node.location(),
                 "framing: expected mllp, close, newline, crlf, etx or a mapping "
                 "({length: 2, encoding: binary}, {delimiter: \"\\n\"}, {fixed: 512}), found '" +
                     name + "'");
      return std::nullopt;
    }
    return f;
  }
  if (!node.is_map()) {
    diag.error(node.location(), "framing: expected a name or a mapping, found a " + std::string(node.kind_name()));
    return std::nullopt;
  }
  const std::size_t errors_before = diag.errors().size();
  ConfigReader reader(node, framing_keys, diag, "framing");
  int kinds = 0;
  for (std::string_view key : {"length", "delimiter", "fixed", "mllp", "close"}) kinds += reader.has(key) ? 1 : 0;
  if (kinds != 1) {
    diag.error(node.location(), "framing: give exactly one of length, delimiter, fixed, mllp, close");
    return std::nullopt;
  }
  if (reader.has("length")) {
    f.kind = FramingKind::length;
    const std::string encoding = reader.string("encoding");
    if (encoding == "binary") f.length_encoding = LengthEncoding::binary;
    else if (encoding == "ascii") f.length_encoding = LengthEncoding::ascii;
    else if (encoding == "bcd") f.length_encoding = LengthEncoding::bcd;
    else
      diag.error(reader.node("encoding")->location(),
                 "framing: encoding must be binary, ascii or bcd, not '" + encoding + "'");
    const std::int64_t size = reader.integer("length");
    const bool size_ok =
        f.length_encoding == LengthEncoding::binary ? (size == 1 || size == 2 || size == 4) : (size >= 1 && size <= 8);
    if (!size_ok)
      diag.error(reader.node("length")->location(), f.length_encoding == LengthEncoding::binary
                                                        ? "framing: a binary length prefix has 1, 2 or 4 bytes"
                                                        : "framing: a length prefix has 1 to 8 digits or bytes");
    f.length_size = static_cast<std::size_t>(size_ok ? size : 2);
    f.length_includes_self = reader.boolean("includes_self");
    f.length_adjust = static_cast<long>(reader.integer("adjust"));
  } else if (reader.has("delimiter")) {
    f.kind = FramingKind::delimiter;
    f.delimiter = reader.string("delimiter");
    if (f.delimiter.empty())
      diag.error(reader.node("delimiter")->location(), "framing: the delimiter must not be empty");
  } else if (reader.has("fixed")) {
    f.kind = FramingKind::fixed;
    f.fixed_size = static_cast<std::size_t>(reader.size("fixed"));
    if (f.fixed_size == 0) diag.error(reader.node("fixed")->location(), "framing: fixed size must be at least 1 byte");
  } else {
    f.kind = reader.has("mllp") ? FramingKind::mllp : FramingKind::close;
  }
  if (diag.errors().size() != errors_before) return std::nullopt;
  return f;
}

Expected<std::string> frame(const Framing& f, std::string_view payload) {
  const auto refuse = [](std::string text) { return make_error(ErrorKind::flow, "framing: " + std::move(text)); };
  if (payload.size() > f.max_frame)
    return refuse("a payload of " + std::to_string(payload.size()) + " bytes exceeds max_frame " +
                  std::to_string(f.max_frame));
  std::string out;
  switch (f.kind) {
    case FramingKind::mllp:
      if (payload.find('\x1c') != std::string_view::npos)
        return refuse("the payload holds 0x1C, which ends an MLLP block");
      out.reserve(payload.size() + 3);
      out += '\x0b';
      out.append(payload);
      out += "\x1c\r";
      return out;
    case FramingKind::close: return std::string(payload);
    case FramingKind::fixed:
      if (payload.size() != f.fixed_size)
        return refuse("a payload of " + std::to_string(payload.size()) + " bytes for fixed frames of " +
                      std::to_string(f.fixed_size));
      return std::string(payload);
    case FramingKind::delimiter:
      if (payload.find(f.delimiter) != std::string_view::npos)
        return refuse("the payload holds the delimiter " + show_bytes(f.delimiter));
      out.reserve(payload.size() + f.delimiter.size());
      out.append(payload);
      out.append(f.delimiter);
      return out;
    case FramingKind::length: break;
  }
  const long long counted = static_cast<long long>(payload.size()) +
                            (f.length_includes_self ? static_cast<long long>(f.length_size) : 0) - f.length_adjust;
  if (counted < 0 || static_cast<unsigned long long>(counted) > largest_length(f))
    return refuse("a payload of " + std::to_string(payload.size()) + " bytes does not fit a " + f.describe() +
                  " prefix");
  auto value = static_cast<std::size_t>(counted);
  std::string prefix(f.length_size, '\0');
  for (std::size_t i = f.length_size; i-- > 0;) {
    switch (f.length_encoding) {
      case LengthEncoding::binary:
        prefix[i] = static_cast<char>(value & 0xFF);
        value >>= 8;
        break;
      case LengthEncoding::ascii:
        prefix[i] = static_cast<char>('0' + value % 10);
        value /= 10;
        break;
      case LengthEncoding::bcd:
        prefix[i] = static_cast<char>((value % 10) | ((value / 10 % 10) << 4));
        value /= 100;
        break;
    }
  }
  out.reserve(prefix.size() + payload.size());
  out = std::move(prefix);
  out.append(payload);
  return out;
}

}  // namespace qiao::tcp
