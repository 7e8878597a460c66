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
  if (column.format.empty()) return reason("a date column needs a format, e.g. yyyyMMdd");
  auto compiled = compile_date_format(column.format, DateLiterals::any);
  if (!compiled) return reason("date format " + quoted(column.format) + compiled.error().message);
  column.date = std::move(*compiled);
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
      auto t = read_date(text, column.date);
      if (!t) return reason(quoted(text) + " is not a date in the format " + column.format);
      if (!is_valid_date(*t, column.date)) return reason(quoted(text) + " is not a valid date");
      return Value(iso_date(*t, column.date));
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
          auto t = read_iso_date(text, column->date);
          if (!t) return reason(quoted(text) + " is not a date in the form " + std::string(column->date.iso_form()));
          if (!is_valid_date(*t, column->date)) return reason(quoted(text) + " is not a valid date");
          write_date(*t, column->date, out);
          return Ok{};
        }
      }
    }
  }
  return Ok{};
}

}  // namespace qiao::delimited::detail
