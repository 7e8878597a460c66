#pragma once
// BER-TLV as EMV puts it in field 55: a run of tag, length, value. Decoded to an object of
// tag (uppercase hex, e.g. "9F26") → value (uppercase hex), in the order they came; constructed
// tags keep their contents as hex rather than being opened.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/value.hpp"

namespace qiao::iso8583 {

// On failure returns false with `problem` set and `at` the offset within `data`.
bool parse_tlv(std::string_view data, Object& out, std::string& problem, std::size_t& at);

// Appends the TLV bytes for an object as parse_tlv makes; on failure returns the problem.
std::string build_tlv(const Object& tags, std::string& out);

}  // namespace qiao::iso8583
