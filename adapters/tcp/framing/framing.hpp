#pragma once
// How messages are delimited on a TCP stream: MLLP blocks, a length prefix, a terminator, a fixed
// size, or the whole connection. Shared by the tcp source and the tcp endpoint; no I/O here.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/config_node.hpp"
#include "core/config/diagnostics.hpp"
#include "core/error.hpp"

namespace qiao::tcp {

enum class FramingKind {
  mllp,       // 0x0B payload 0x1C 0x0D
  length,     // a length prefix, then the payload
  delimiter,  // the payload, then a terminator (newline, ETX …)
  fixed,      // every payload has the same size
  close,      // one payload per connection: everything until the peer closes its side
};

enum class LengthEncoding {
  binary,  // big-endian unsigned, 1 to 4 bytes
  ascii,   // decimal digits, e.g. "0123"
  bcd,     // packed decimal digits, two per byte, e.g. 0x01 0x23
};

struct Framing {
  FramingKind kind = FramingKind::mllp;
  // length
  std::size_t length_size = 2;  // bytes of the prefix
  LengthEncoding length_encoding = LengthEncoding::binary;
  bool length_includes_self = false;  // the number counts the prefix's own bytes
  // Bytes between the prefix and the payload's end that the number does not count (a header the
  // peer leaves out); negative when the number counts bytes that are not there (rare).
  long length_adjust = 0;
  // delimiter
  std::string delimiter = "\n";
  // fixed
  std::size_t fixed_size = 0;
  // any kind: a larger payload is refused rather than buffered
  std::size_t max_frame = 1024 * 1024;

  // "mllp", "length 2 binary", "delimiter 0x0A" — for logs and /api/flows.
  std::string describe() const;
};

// Reads a `framing:` value: a name (mllp, close, newline, crlf, etx) or a mapping
// ({length: 2, encoding: binary, includes_self: false, adjust: 0}, {delimiter: "\n"},
// {fixed: 512}). `max_frame` is the owner's (source or endpoint) setting. nullopt after errors.
std::optional<Framing> parse_framing(const ConfigNode& node, std::size_t max_frame, Diagnostics& diag);

// The bytes to write for one payload. Errors (ErrorKind::flow): the payload does not fit the
// prefix or the fixed size, or contains the delimiter / the MLLP end block.
Expected<std::string> frame(const Framing& framing, std::string_view payload);

// "0x0B 0x1C" — bytes as error texts show them.
std::string show_bytes(std::string_view bytes);

}  // namespace qiao::tcp
