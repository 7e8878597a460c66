#pragma once
// Hex text ⇄ bytes: keys and MACs written the way bank specifications print them, binary frames in
// configuration.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace qiao {

// Upper-case hex, two characters per byte.
std::string to_hex(std::string_view bytes);

// Hex digits (either case, no separators) → bytes. An odd count or a non-hex character is an
// ErrorKind::flow error; `what` names the argument in it ("mac: key: …").
Expected<std::string> from_hex(std::string_view hex, std::string_view what);

}  // namespace qiao
