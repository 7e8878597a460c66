#pragma once
// Hex text ⇄ bytes: keys and MACs written the way bank specifications print them, binary frames in
// configuration.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace qiao {

// Upper-case hex, two characters per byte.
std::string to_hex(std::string_view bytes);
// The same appended to `out`, for codecs writing a message in one buffer.
void append_hex(std::string& out, std::string_view bytes);

// Index of the first character that is not a hex digit (either case), or npos: for callers that
// word their own error ("field 52: 'G' is not a hex digit at byte 40").
std::size_t first_non_hex(std::string_view text);

// Hex digits (either case, no separators) → bytes. An odd count or a non-hex character is an
// ErrorKind::flow error; `what` names the argument in it ("mac: key: …").
Expected<std::string> from_hex(std::string_view hex, std::string_view what);

}  // namespace qiao
