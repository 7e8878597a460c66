#pragma once
// XML text before and around pugixml, shared by the XML codecs (xml, hl7v2-xml) so they accept
// and report the same documents alike: the document as UTF-8 (byte order mark, the declaration's
// encoding, else a default charset), what pugixml would pass silently (invalid UTF-8, control
// characters XML forbids, references to them), and positions as "line L, column C".

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace qiao::xml {

// The document as UTF-8 without a byte order mark. Errors are bad_input, "<codec>: …", and say
// where a conversion failed ("xml: byte 0xFF is not GBK at line 2, column 7").
Expected<std::string> utf8_document(std::string_view bytes, std::string_view default_charset, std::string_view codec);

// Offset of invalid UTF-8, a control character XML forbids, or a character reference to one
// (&#0; would cut a pugixml string short); `what` names it. npos when the text is clean.
std::size_t find_unreadable(std::string_view text, std::string& what);

// "line 3, column 14" for a byte offset into UTF-8 text; columns count characters, from 1.
std::string line_column(std::string_view text, std::size_t offset);

bool is_xml_space(char c);
bool all_xml_space(std::string_view text);

}  // namespace qiao::xml
