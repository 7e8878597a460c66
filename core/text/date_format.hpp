#pragma once
// Date and time formats as layouts write them ("yyyyMMdd", "yyyy-MM-dd'T'HH:mm:ss", "HHmmss"),
// compiled once, and the ISO 8601 text that values carry ("2026-11-22", "2026-11-22T08:30:15",
// "08:30:15"). The delimited and fixed codecs read and write dates with these and word their
// own errors, so nothing here names a column or a field.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace qiao {

struct DateFormat {
  // A field: 'y' (yyyy), 'M', 'd', 'H', 'm' or 's'; or a literal byte (field == 0).
  struct Part {
    char field = 0;
    char literal = 0;
  };
  std::vector<Part> parts;
  bool has_date = false;  // yyyy, MM and dd
  bool has_time = false;  // HH and mm, maybe ss

  // Bytes of a text in this format.
  std::size_t width() const;
  // "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" or "HH:MM:SS", for messages.
  std::string_view iso_form() const;
};

// Which characters a format may hold as literals outside quotes.
enum class DateLiterals { any, ascii };

// Compiles a non-empty `format` (letters in quotes are literal: "yyyy-MM-dd'T'HH:mm"). The error
// (bad_input) continues a text the caller begins with "date format '<format>'" in its own quoting:
// " needs all of yyyy, MM and dd", ": use yyyy, MM, dd, HH, mm, ss (...)".
Expected<DateFormat> compile_date_format(std::string_view format, DateLiterals literals);

struct DateTime {
  int y = 0, M = 0, d = 0, H = 0, m = 0, s = 0;
};

// `text` read in `format`; nullopt when it does not have the format's shape.
std::optional<DateTime> read_date(std::string_view text, const DateFormat& format);
// `text` in the ISO form a flow writes: "2026-11-22", "2026-11-22T08:30:00" (or a space for the
// T), "08:30:00"; the seconds may be left out. nullopt when it is not in that form.
std::optional<DateTime> read_iso_date(std::string_view text, const DateFormat& format);
// Whether the parts the format holds make a real date and time (no 31 April, no 24:00).
bool is_valid_date(const DateTime& t, const DateFormat& format);

std::string iso_date(const DateTime& t, const DateFormat& format);
// `t` in `format`, appended to `out`.
void write_date(const DateTime& t, const DateFormat& format, std::string& out);

}  // namespace qiao
