#pragma once
// The XML document as the decoder reads it: converted to UTF-8 (byte order mark, the
// declaration's encoding, else the encoding= option), checked for what pugixml would pass
// silently, and positions as "line L, column C". The rules are those of codecs/xml, so both XML
// codecs accept and report the same documents alike.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace qiao::hl7xml {

// The document as UTF-8 without a byte order mark. Errors are bad_input, "hl7v2-xml: …".
Expected<std::string> utf8_document(std::string_view bytes, std::string_view default_charset);

// Offset of invalid UTF-8, a control character XML forbids, or a character reference to one
// (&#0; would cut a pugixml string short); `what` names it. npos when the text is clean.
std::size_t find_unreadable(std::string_view text, std::string& what);

// "line 3, column 14" for a byte offset into UTF-8 text; columns count characters, from 1.
std::string line_column(std::string_view text, std::size_t offset);

bool is_xml_space(char c);
bool all_xml_space(std::string_view text);

}  // namespace qiao::hl7xml
