#pragma once
// Quoting for the few JSON texts the core writes itself (error bodies, admin API), so the core
// needs no codec to report a problem.

#include <string>
#include <string_view>

namespace qiao {

// `text` as a JSON string literal, quotes included; invalid UTF-8 bytes become U+FFFD.
std::string json_quote(std::string_view text);

}  // namespace qiao
