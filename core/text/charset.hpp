#pragma once
// Character sets at the edges: a Value always holds UTF-8; codecs convert from and to what a peer
// speaks (many Chinese HIS send GBK or GB 18030). Conversion goes through glibc's iconv.

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/text/utf8.hpp"  // find_invalid_utf8, for the codecs that convert

namespace qiao {

// Canonical spelling of a charset name as peers write it ("gbk", "GB18030", "UNICODE UTF-8" in
// HL7 MSH-18, "utf8"): upper case, known aliases folded; empty for UTF-8 itself.
std::string normalize_charset(std::string_view name);

// True when iconv can convert between `charset` and UTF-8.
bool charset_supported(std::string_view charset);

// `bytes` in `charset` → UTF-8. An invalid or truncated sequence is a bad_input error naming the
// byte offset. An empty charset (or UTF-8) validates and returns the bytes as they are.
// `failed_at`, when given, receives the offset of the byte the error names.
Expected<std::string> to_utf8(std::string_view bytes, std::string_view charset, std::size_t* failed_at = nullptr);

// UTF-8 → `charset`. A character the charset cannot represent is an error naming its offset.
Expected<std::string> from_utf8(std::string_view text, std::string_view charset);

}  // namespace qiao
