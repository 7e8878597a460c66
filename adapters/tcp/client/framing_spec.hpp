#pragma once
// The one-word framing syntax of the command line (`qiao send tcp --framing length:2:bcd`),
// for what the YAML mapping says in config files.

#include <string_view>

#include "adapters/tcp/framing/framing.hpp"
#include "core/error.hpp"

namespace qiao::tcp {

// mllp | close | newline | crlf | etx
// length:N[:binary|ascii|bcd][:self]   N bytes (binary, bcd) or digits (ascii); self: counts itself
// delimiter:HEX                        e.g. delimiter:03 or delimiter:0d0a
// fixed:N                              every payload N bytes
// Errors are ErrorKind::config texts naming the part that is wrong.
Expected<Framing> parse_framing_spec(std::string_view spec, std::size_t max_frame = 16 * 1024 * 1024);

// The syntax above, for --help.
extern const char* const framing_spec_help;

}  // namespace qiao::tcp
