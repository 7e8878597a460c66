#pragma once
// Internals shared by the decoder, the encoder and the option parser.

#include <string>
#include <string_view>

#include "codecs/delimited/delimited_codec.hpp"

namespace qiao::delimited::detail {

// A typed field's text → Value ("20261122" with format yyyyMMdd → "2026-11-22"). The text is not
// empty. On failure the Error's message is only the reason ("'abc' is not a decimal"); the caller
// adds where.
Expected<Value> parse_typed(std::string_view text, const Column& column);

// A Value → a field's text, appended to `out`; `column` may be null (untyped). Null appends
// nothing. On failure the message is only the reason.
Status format_field(const Value& value, const Column* column, std::string& out);

// "'abc'", cut to a readable length, for error messages.
std::string quoted(std::string_view text);

std::string_view type_name(ColumnType type);

// Compiles a date format ("yyyyMMdd", "yyyy-MM-dd'T'HH:mm:ss"); the message says what is wrong.
Status compile_date(Column& column);

}  // namespace qiao::delimited::detail
