// Date and time fields: a layout's format (yyyy MM dd HH mm ss and literal characters) ⇄ the ISO
// form values carry ("2026-11-22", "2026-11-22T08:30:15", "08:30:15"), with core/text/date_format
// as the delimited codec; the texts here are the fixed codec's own.

#include <string>

#include "codecs/fixed/detail.hpp"

namespace qiao::fixed::detail {

Status compile_date(Field& field) {
  if (field.format.empty()) return reason("a date field needs a format, e.g. yyyyMMdd");
  // Field widths are bytes in the file's charset: a literal outside ASCII would change width with it.
  auto compiled = compile_date_format(field.format, DateLiterals::ascii);
  if (!compiled) return reason("date format " + quoted(field.format) + compiled.error().message);
  field.date = std::move(*compiled);
  return Ok{};
}

Expected<Value> parse_date(std::string_view text, const Field& field) {
  auto t = read_date(text, field.date);
  if (!t) return reason(quoted(text) + " is not a date in the format " + field.format);
  if (!is_valid_date(*t, field.date)) return reason(quoted(text) + " is not a valid date (" + field.format + ")");
  return Value(iso_date(*t, field.date));
}

Status format_date(std::string_view text, const Field& field, std::string& out) {
  auto t = read_iso_date(text, field.date);
  if (!t) return reason(quoted(text) + " is not a date in the form " + std::string(field.date.iso_form()));
  if (!is_valid_date(*t, field.date)) return reason(quoted(text) + " is not a valid date");
  write_date(*t, field.date, out);
  return Ok{};
}

}  // namespace qiao::fixed::detail
