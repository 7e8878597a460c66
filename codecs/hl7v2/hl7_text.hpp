#pragma once
// Plain text ⇄ HL7 escaped text, for flow authors who take a note or a report out of an OBX-5
// and for those who put free text (with newlines, backslashes, pipes) into a field.

#include <string>
#include <string_view>

#include "codecs/hl7v2/hl7_codec.hpp"

namespace qiao::hl7 {

// Text safe to put in a field, in a Value or in hand-built ER7 alike: the escape character
// becomes \E\, the separators \F\ \S\ \T\ \R\, and each line break (CR LF, CR or LF) \.br\.
std::string escape_text(std::string_view plain, const Separators& seps = {});

// What a reader should see: \F\ \S\ \T\ \R\ \E\ become their characters, \Xhhhh\ its bytes (kept
// as written when they are not UTF-8 text), \.br\ a line break, \.spN\ N line breaks, and the
// formatting-only escapes (\H\ \N\ \.in\ \.ti\ \.sk\ \.ce\ \.fi\ \.nf\ \Zxx\ \Cxxxx\ \Mxxxxxx\)
// are dropped. An escape character that starts no well-formed sequence is kept.
std::string unescape_text(std::string_view escaped, const Separators& seps = {});

// The separators of a decoded message (its first MSH, FHS or BHS); the defaults when it has none
// or they are unusable.
Separators message_separators(const Value& message);

}  // namespace qiao::hl7
