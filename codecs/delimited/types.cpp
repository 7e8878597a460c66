// Typed columns: integer, decimal with scale, and dates in a layout's format, both ways.

#include <charconv>
#include <cstdint>
#include <string>

#include "codecs/delimited/detail.hpp"

namespace qiao::delimited::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Error reason(std::string text) { return make_error(ErrorKind::bad_input, std::move(text)); }

// Optional sign, digits, optional point and digits; at least one digit before or after the point.
bool is_decimal_text(std::string_view s, std::size_t& point, std::size_t& fraction_digits) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t int_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++int_digits;
  point = std::string_view::npos;
  fraction_digits = 0;
  if (i < s.size() && s[i] == '.') {
    point = i++;
    while (i < s.size() && is_digit(s[i])) ++i, ++fraction_digits;
  }
  return i == s.size() && int_digits + fraction_digits > 0;
}

bool is_integer_text(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!is_digit(s[i])) return false;
  return true;
}

// A decimal's text brought to the column's scale: "12.5" → "12.50", "12" → "12.00". More
// fraction digits than the scale is refused rather than rounded: money is never rounded silently.
Expected<std::string> scaled(std::string_view s, const Column& column) {
  std::size_t point = 0;
  std::size_t fraction = 0;
  if (!is_decimal_text(s, point, fraction)) return reason(quoted(s) + " is not a decimal");
  std::string out(s.size() && s[0] == '+' ? s.substr(1) : s);
  if (column.scale < 0) return out;
  const auto scale = static_cast<std::size_t>(column.scale);
  if (fraction > scale)
    return reason(quoted(s) + " has more than " + std::to_string(scale) + " decimal place" + (scale == 1 ? "" : "s"));
  if (point == std::string_view::npos && scale > 0) out += '.';
  out.append(scale - fraction, '0');
  if (!out.empty() && out.back() == '.') out.pop_back();  // scale 0 and "12."
  return out;
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

struct DateTime {
  int y = 0, M = 0, d = 0, H = 0, m = 0, s = 0;
};

int width(char field) { return field == 'y' ? 4 : 2; }

int* slot(DateTime& t, char field) {
  switch (field) {
    case 'y': return &t.y;
    case 'M': return &t.M;
    case 'd': return &t.d;
    case 'H': return &t.H;
    case 'm': return &t.m;
    default: return &t.s;
  }
}

bool valid(const DateTime& t, const Column& column) {
  if (column.has_date && (t.M < 1 || t.M > 12 || t.d < 1 || t.d > days_in_month(t.y, t.M))) return false;
  if (column.has_time && (t.H > 23 || t.m > 59 || t.s > 59)) return false;
  return true;
}

void put(std::string& out, int v, int digits) {
  char buf[8];
  for (int i = digits - 1; i >= 0; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  out.append(buf, static_cast<std::size_t>(digits));
}

std::string iso(const DateTime& t, const Column& column) {
  std::string out;
  if (column.has_date) {
    put(out, t.y, 4), out += '-', put(out, t.M, 2), out += '-', put(out, t.d, 2);
    if (column.has_time) out += 'T';
  }
  if (column.has_time) put(out, t.H, 2), out += ':', put(out, t.m, 2), out += ':', put(out, t.s, 2);
  return out;
}

std::string_view iso_form(const Column& column) {
  if (column.has_date && column.has_time) return "YYYY-MM-DDTHH:MM:SS";
  return column.has_date ? "YYYY-MM-DD" : "HH:MM:SS";
}

// Reads `digits` digits at s[i]; false when they are not there.
bool digits_at(std::string_view s, std::size_t i, int digits, int& v) {
  if (i + static_cast<std::size_t>(digits) > s.size()) return false;
  v = 0;
  for (int k = 0; k < digits; ++k) {
    const char c = s[i + static_cast<std::size_t>(k)];
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  return true;
}

// The ISO form a flow writes: "2026-11-22", "2026-11-22T08:30:00" (or with a space), "08:30:00";
// seconds may be left out.
bool parse_iso(std::string_view s, const Column& column, DateTime& t) {
  std::size_t i = 0;
  if (column.has_date) {
    if (!digits_at(s, 0, 4, t.y) || s.size() < 10 || s[4] != '-' || !digits_at(s, 5, 2, t.M) || s[7] != '-' ||
        !digits_at(s, 8, 2, t.d))
      return false;
    i = 10;
    if (!column.has_time) return i == s.size();
    if (i >= s.size() || (s[i] != 'T' && s[i] != ' ')) return false;
    ++i;
  }
  if (!digits_at(s, i, 2, t.H) || i + 2 >= s.size() || s[i + 2] != ':' || !digits_at(s, i + 3, 2, t.m)) return false;
  i += 5;
  if (i == s.size()) return true;
  return s[i] == ':' && digits_at(s, i + 1, 2, t.s) && i + 3 == s.size();
}

}  // namespace

std::string quoted(std::string_view text) {
  constexpr std::size_t max = 40;
  if (text.size() <= max) return "'" + std::string(text) + "'";
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return "'" + std::string(text.substr(0, cut)) + "…'";
}

std::string_view type_name(ColumnType type) {
  switch (type) {
    case ColumnType::string: return "string";
    case ColumnType::integer: return "integer";
    case ColumnType::decimal: return "decimal";
    case ColumnType::date: return "date";
  }
  return "string";
}

Status compile_date(Column& column) {
  const std::string& f = column.format;
  if (f.empty()) return reason("a date column needs a format, e.g. yyyyMMdd");
  std::string seen;
  for (std::size_t i = 0; i < f.size();) {
    const char c = f[i];
    if (c == '\'') {  // 'T': literal letters
      const std::size_t end = f.find('\'', i + 1);
      if (end == std::string::npos) return reason("date format " + quoted(f) + " has an unclosed quote");
      if (end == i + 1) column.pattern.push_back({0, '\''});
      for (std::size_t k = i + 1; k < end; ++k) column.pattern.push_back({0, f[k]});
      i = end + 1;
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!letter) {
      column.pattern.push_back({0, c});
      ++i;
      continue;
    }
    const std::string_view token = c == 'y' ? "yyyy" : (c == 'M' || c == 'd' || c == 'H' || c == 'm' || c == 's') ? std::string_view(&f[i], 1) : "";
    const std::size_t n = c == 'y' ? 4 : 2;
    if (token.empty() || f.compare(i, n, std::string(n, c)) != 0 || (i + n < f.size() && f[i + n] == c))
      return reason("date format " + quoted(f) + ": use yyyy, MM, dd, HH, mm, ss (letters in quotes are literal)");
    if (seen.find(c) != std::string::npos) return reason("date format " + quoted(f) + " repeats " + std::string(n, c));
    seen += c;
    column.pattern.push_back({c, 0});
    i += n;
  }
  const auto has = [&](char c) { return seen.find(c) != std::string::npos; };
  column.has_date = has('y') || has('M') || has('d');
  column.has_time = has('H') || has('m') || has('s');
  if (column.has_date && !(has('y') && has('M') && has('d')))
    return reason("date format " + quoted(f) + " needs all of yyyy, MM and dd");
  if (column.has_time && !(has('H') && has('m')))
    return reason("date format " + quoted(f) + " needs both HH and mm");
  if (!column.has_date && !column.has_time) return reason("date format " + quoted(f) + " has no date or time fields");
  return Ok{};
}

Expected<Value> parse_typed(std::string_view text, const Column& column) {
  switch (column.type) {
    case ColumnType::string: return Value(text);
    case ColumnType::integer: {
      std::int64_t v = 0;
      const char* first = text.data() + (text[0] == '+' ? 1 : 0);
      const char* last = text.data() + text.size();
      const auto [end, ec] = std::from_chars(first, last, v);
      if (!is_integer_text(text) || ec == std::errc::result_out_of_range || end != last) {
        if (is_integer_text(text)) return reason(quoted(text) + " is out of the integer range");
        return reason(quoted(text) + " is not an integer");
      }
      return Value(v);
    }
    case ColumnType::decimal: {
      auto s = scaled(text, column);
      if (!s) return std::move(s).error();
      return Value(Decimal{std::move(*s)});
    }
    case ColumnType::date: {
      DateTime t;
      std::size_t i = 0;
      for (const DatePart& part : column.pattern) {
        if (part.field == 0) {
          if (i >= text.size() || text[i] != part.literal) i = std::string_view::npos;
          else ++i;
        } else if (digits_at(text, i, width(part.field), *slot(t, part.field))) {
          i += static_cast<std::size_t>(width(part.field));
        } else {
          i = std::string_view::npos;
        }
        if (i == std::string_view::npos) break;
      }
      if (i != text.size()) return reason(quoted(text) + " is not a date in the format " + column.format);
      if (!valid(t, column)) return reason(quoted(text) + " is not a valid date");
      return Value(iso(t, column));
    }
  }
  return Value(text);
}

Status format_field(const Value& value, const Column* column, std::string& out) {
  const ColumnType type = column ? column->type : ColumnType::string;
  const auto wrong = [&](std::string_view what) {
    return reason(std::string(what) + " cannot be written to a " + std::string(type_name(type)) + " column");
  };
  char buf[64];
  switch (value.type()) {
    case Value::Type::null: return Ok{};
    case Value::Type::boolean: return wrong("a boolean");
    case Value::Type::bytes: return wrong("bytes");
    case Value::Type::array: return wrong("an array");
    case Value::Type::object: return wrong("an object");
    case Value::Type::integer: {
      if (type == ColumnType::date) return wrong("an integer");
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value.as_int());
      (void)ec;
      if (type == ColumnType::decimal && column->scale >= 0) {
        auto s = scaled(std::string_view(buf, static_cast<std::size_t>(end - buf)), *column);
        if (!s) return std::move(s).error();
        out += *s;
      } else {
        out.append(buf, end);
      }
      return Ok{};
    }
    case Value::Type::real: {
      if (type == ColumnType::date) return wrong("a number");
      const double d = value.as_real();
      if (d != d || d - d != 0) return reason("NaN or infinity cannot be written");
      std::to_chars_result r;
      if (type == ColumnType::decimal && column->scale >= 0) {
        r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed, column->scale);  // rounds
      } else {
        r = std::to_chars(buf, buf + sizeof buf, d);
      }
      if (r.ec != std::errc()) return reason("the number is too large to write");
      const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
      if (type == ColumnType::integer) {
        if (!is_integer_text(text)) return reason(std::string(text) + " is not an integer");
      } else if (type == ColumnType::decimal) {
        std::size_t point = 0, fraction = 0;
        if (!is_decimal_text(text, point, fraction)) return reason(std::string(text) + " is not a plain decimal");
      }
      out += text;
      return Ok{};
    }
    case Value::Type::decimal:
    case Value::Type::string: {
      const std::string_view text = value.is_decimal() ? std::string_view(value.as_decimal().text) : value.as_string();
      switch (type) {
        case ColumnType::string: out += text; return Ok{};
        case ColumnType::integer:
          if (!is_integer_text(text)) return reason(quoted(text) + " is not an integer");
          out += text;
          return Ok{};
        case ColumnType::decimal: {
          auto s = scaled(text, *column);
          if (!s) return std::move(s).error();
          out += *s;
          return Ok{};
        }
        case ColumnType::date: {
          DateTime t;
          if (!parse_iso(text, *column, t)) return reason(quoted(text) + " is not a date in the form " + std::string(iso_form(*column)));
          if (!valid(t, *column)) return reason(quoted(text) + " is not a valid date");
          for (const DatePart& part : column->pattern) {
            if (part.field == 0) out += part.literal;
            else put(out, *slot(t, part.field), width(part.field));
          }
          return Ok{};
        }
      }
    }
  }
  return Ok{};
}

}  // namespace qiao::delimited::detail
