#pragma once
// Internals shared by the layout reader, the decoder and the encoder. Functions returning a
// reason leave out where: the caller prefixes the line, record and field.

#include <cstddef>
#include <string>
#include <string_view>

#include "codecs/fixed/fixed_codec.hpp"

namespace qiao::fixed::detail {

// --- characters (characters.cpp) ---

// Which family a normalized charset name belongs to; nullopt when the codec cannot walk it.
std::optional<CharsetFamily> charset_family(std::string_view normalized_charset);

// Bytes in the character that starts at bytes[i] (1 to 4), or 0 when what is there is not a
// character of the family (an invalid byte, or a sequence cut off by the end of `bytes`).
std::size_t char_length(std::string_view bytes, std::size_t i, CharsetFamily family);

bool is_ascii(std::string_view bytes);

// Where `bytes` (a field's worth, or less) may be cut without splitting a character: the largest
// n ≤ limit such that bytes[0, n) is whole characters.
std::size_t whole_chars_prefix(std::string_view bytes, std::size_t limit, CharsetFamily family);

// --- dates (dates.cpp) ---

// Compiles field.format into field.date; the reason says what is wrong with the format.
Status compile_date(Field& field);
// "20261122" (yyyyMMdd) → "2026-11-22"; "…T08:30:15" with a time; "08:30:15" time only.
Expected<Value> parse_date(std::string_view text, const Field& field);
// The ISO form back to the field's format; appended to `out`.
Status format_date(std::string_view iso, const Field& field, std::string& out);

// --- numbers (numbers.cpp) ---

// A numeric field's bytes (not blank) → integer or Decimal.
Expected<Value> parse_number(std::string_view text, const Field& field);
// A Value → exactly field.length bytes.
Expected<std::string> format_number(const Value& value, const Field& field);

// --- one field (field_codec.cpp) ---

// A field's bytes (its character boundaries already checked) → Value: a string with the padding
// removed, an integer or Decimal, a date in ISO form; null when a non-string field is blank.
// Strings longer than borrow_above borrow from `anchor` when no conversion is needed.
Expected<Value> decode_field(std::string_view bytes, const Field& field, const Layout& layout, const Buffer& anchor);

// Appends exactly field.length bytes for `value`; null writes a blank field (a missing value's
// default is the caller's business: null must stay null through a round trip).
Status encode_field(const Value& value, const Field& field, const Layout& layout, std::string& out);

// --- messages ---

// "'abc'", cut to a readable length on a UTF-8 boundary, control bytes shown as \xNN.
std::string quoted(std::string_view text);
std::string_view type_name(FieldType type);
// The charset as messages name it: "GBK", "UTF-8".
std::string_view charset_label(const Layout& layout);

inline Error reason(std::string text) { return make_error(ErrorKind::bad_input, std::move(text)); }

// Pads `text` to `length` with field.pad on the side its alignment leaves free.
void append_padded(std::string& out, std::string_view text, const Field& field);

}  // namespace qiao::fixed::detail
