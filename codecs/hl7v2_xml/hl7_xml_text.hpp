#pragma once
// The text of a leaf as the hl7v2 codec would give it back after writing it as ER7 and reading
// it again. XML text can say things ER7 text cannot (a raw CR, a lone escape character, `\F\`
// written out as Mirth does), and hl7v2-xml promises the same Value as hl7v2 for the same message.

#include <string>
#include <string_view>

#include "codecs/hl7v2/hl7_codec.hpp"

namespace qiao::hl7xml {

// True when `text` is already what an ER7 round trip gives (the common case: no escape
// character, no CR or LF, and, when MSH-2 has no escape character, no separator either).
bool is_er7_text(std::string_view text, const hl7::Separators& seps);

// The round-trip form, token by token, as hl7::encode then hl7::decode treat it:
// - `\F\ \S\ \T\ \R\` become the separator characters (when MSH-2 defines them);
// - other well-formed escape sequences stay as written; a lone escape character becomes `\E\`;
// - CR and LF become `\X0D\` and `\X0A\`;
// - without an escape character in MSH-2, separators, CR and LF become a blank.
std::string er7_text(std::string_view text, const hl7::Separators& seps);

}  // namespace qiao::hl7xml
