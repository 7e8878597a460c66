// Numeric fields: integers and decimals with an implied (or written) point, unsigned or signed
// with the sign leading, trailing, as a floating minus, or overpunched into the last digit.
// Decimals stay text end to end (Decimal{"123.45"}): money is never a double, never rounded.

#include <charconv>
#include <string>

#include "codecs/fixed/detail.hpp"

namespace qiao::fixed::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A number taken apart: sign, integer digits (no leading zeros), fraction digits.
struct Parts {
  bool negative = false;
  std::string whole;
  std::string fraction;
};

std::string strip_leading_zeros(std::string_view digits) {
  std::size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

bool all_zeros(std::string_view digits) { return digits.find_first_not_of('0') == std::string_view::npos; }

// Overpunched last byte → (digit, negative); false when it is not one.
bool overpunch_digit(char c, char& digit, bool& negative) {
  if (is_digit(c)) return digit = c, negative = false, true;
  if (c == '{') return digit = '0', negative = false, true;
  if (c == '}') return digit = '0', negative = true, true;
  if (c >= 'A' && c <= 'I') return digit = static_cast<char>('1' + (c - 'A')), negative = false, true;
  if (c >= 'J' && c <= 'R') return digit = static_cast<char>('1' + (c - 'J')), negative = true, true;
  return false;
}

char overpunched(char digit, bool negative) {
  if (digit == '0') return negative ? '}' : '{';
  return static_cast<char>((negative ? 'J' : 'A') + (digit - '1'));
}

// "-12.5", "+3", "007" → Parts; false when the text is not a plain decimal.
bool split_decimal(std::string_view s, Parts& parts) {
  std::size_t i = 0;
  parts = Parts{};
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) parts.negative = s[i++] == '-';
  const std::size_t whole_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  const std::string_view whole = s.substr(whole_start, i - whole_start);
  std::string_view fraction;
  if (i < s.size() && s[i] == '.') {
    const std::size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    fraction = s.substr(start, i - start);
  }
  if (i != s.size() || whole.size() + fraction.size() == 0) return false;
  parts.whole = strip_leading_zeros(whole.empty() ? std::string_view("0") : whole);
  parts.fraction = std::string(fraction);
  return true;
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

// The Value's number as text, before it is fitted to the field.
Expected<std::string> number_text(const Value& value, const Field& field) {
  const auto wrong = [&](std::string_view what) {
    return reason(std::string(what) + " cannot be written to " + (field.type == FieldType::integer ? "an " : "a ") +
                  std::string(type_name(field.type)) + " field");
  };
  char buf[64];
  switch (value.type()) {
    case Value::Type::integer: {
      const auto r = std::to_chars(buf, buf + sizeof buf, value.as_int());
      return std::string(buf, r.ptr);
    }
    case Value::Type::real: {
      const double d = value.as_real();
      if (d != d || d - d != 0) return reason("NaN or infinity cannot be written");
      // A double is rounded to the field's scale here, once: a flow computing 0.1 + 0.2 means 0.30.
      const auto r = field.type == FieldType::decimal
                         ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed, field.scale)
                         : std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
      if (r.ec != std::errc()) return reason("the number is too large to write");
      return std::string(buf, r.ptr);
    }
    case Value::Type::decimal: return value.as_decimal().text;
    case Value::Type::string: return std::string(value.as_string());
    case Value::Type::boolean: return wrong("a boolean");
    case Value::Type::bytes: return wrong("bytes");
    case Value::Type::array: return wrong("an array");
    case Value::Type::object: return wrong("an object");
    case Value::Type::null: break;
  }
  return wrong("null");
}

}  // namespace

Expected<Value> parse_number(std::string_view text, const Field& field) {
  const std::string_view original = text;
  const auto not_a_number = [&] {
    return reason(quoted(original) + " is not " + (field.type == FieldType::integer ? "an integer" : "a number"));
  };
  bool negative = false;
  std::string last_digit;  // the overpunched digit, put back in place of its byte
  switch (field.sign) {
    case Sign::leading:
    case Sign::trailing: {
      const char c = field.sign == Sign::leading ? text.front() : text.back();
      if (c != '+' && c != '-' && c != ' ')
        return reason(quoted(original) + " has no sign in its " + (field.sign == Sign::leading ? "first" : "last") +
                      " byte ('+', '-' or a space)");
      negative = c == '-';
      text = field.sign == Sign::leading ? text.substr(1) : text.substr(0, text.size() - 1);
      break;
    }
    case Sign::overpunch: {
      char digit = 0;
      if (!overpunch_digit(text.back(), digit, negative)) return not_a_number();
      last_digit.assign(1, digit);
      text = text.substr(0, text.size() - 1);
      break;
    }
    case Sign::none:
    case Sign::minus: break;
  }
  // Zeros are digits, so a '0' pad is never stripped; any other pad is, on its side.
  if (field.pad != '0') {
    if (field.align == Align::right) {
      const std::size_t first = text.find_first_not_of(field.pad);
      text = first == std::string_view::npos ? std::string_view() : text.substr(first);
    } else {
      const std::size_t last = text.find_last_not_of(field.pad);
      text = last == std::string_view::npos ? std::string_view() : text.substr(0, last + 1);
    }
  }
  if (field.sign == Sign::minus && !text.empty() && text.front() == '-') {
    negative = true;
    text = text.substr(1);
  }
  const std::string digits = std::string(text) + last_digit;
  if (digits.empty()) return not_a_number();

  if (field.type == FieldType::integer) {
    for (char c : digits)
      if (!is_digit(c)) return not_a_number();
    std::int64_t v = 0;
    const std::string magnitude = (negative ? "-" : "") + digits;
    const auto [end, ec] = std::from_chars(magnitude.data(), magnitude.data() + magnitude.size(), v);
    if (ec == std::errc::result_out_of_range) return reason(quoted(original) + " is out of the integer range");
    if (ec != std::errc() || end != magnitude.data() + magnitude.size()) return not_a_number();
    return Value(v);
  }

  Parts parts;
  const auto scale = static_cast<std::size_t>(field.scale);
  if (field.explicit_point) {
    // Exactly as encode writes it (digits, and the point with `scale` digits): "12." or ".5"
    // would come back longer than they came in.
    if (digits.front() == '+' || digits.front() == '-' || !split_decimal(digits, parts)) return not_a_number();
    const std::size_t point = digits.find('.');
    const bool written_fully = scale == 0
                                   ? point == std::string::npos
                                   : point != std::string::npos && point > 0 && digits.size() - point - 1 == scale;
    if (!written_fully) {
      if (parts.fraction.size() > scale)
        return reason(quoted(original) + " has more than " + plural(scale, "decimal place"));
      return reason(quoted(original) + " is not a number with " + plural(scale, "decimal place"));
    }
  } else {
    for (char c : digits)
      if (!is_digit(c)) return not_a_number();
    const std::string padded = digits.size() > scale ? digits : std::string(scale + 1 - digits.size(), '0') + digits;
    parts.whole = strip_leading_zeros(std::string_view(padded).substr(0, padded.size() - scale));
    parts.fraction = padded.substr(padded.size() - scale);
  }
  const bool zero = all_zeros(parts.whole) && all_zeros(parts.fraction);
  std::string out = negative && !zero ? "-" : "";
  out += parts.whole;
  if (scale > 0) out += "." + parts.fraction;
  return Value(Decimal{std::move(out)});
}

Expected<std::string> format_number(const Value& value, const Field& field) {
  auto text = number_text(value, field);
  if (!text) return std::move(text).error();
  Parts parts;
  if (!split_decimal(*text, parts))
    return reason(quoted(*text) + " is not " + (field.type == FieldType::integer ? "an integer" : "a number"));
  const std::size_t scale = field.type == FieldType::decimal ? static_cast<std::size_t>(field.scale) : 0;
  if (parts.fraction.size() > scale) {
    // Zeros past the scale carry nothing ("12.00" into an integer field); other digits would be lost.
    const std::string_view beyond = std::string_view(parts.fraction).substr(scale);
    if (!all_zeros(beyond)) {
      if (field.type == FieldType::integer) return reason(quoted(*text) + " is not an integer");
      return reason(quoted(*text) + " has more than " + plural(scale, "decimal place"));
    }
    parts.fraction.resize(scale);
  }
  parts.fraction.append(scale - parts.fraction.size(), '0');
  const bool zero = all_zeros(parts.whole) && all_zeros(parts.fraction);
  const bool negative = parts.negative && !zero;
  if (negative && field.sign == Sign::none)
    return reason(quoted(*text) + " is negative and the field has no sign (sign: none)");

  std::string digits = field.explicit_point ? parts.whole + (scale > 0 ? "." + parts.fraction : "")
                                            : strip_leading_zeros(parts.whole + parts.fraction);
  if (field.sign == Sign::overpunch) digits.back() = overpunched(digits.back(), negative);
  const bool sign_byte = field.sign == Sign::leading || field.sign == Sign::trailing;
  const bool minus = field.sign == Sign::minus && negative;
  const std::size_t room = field.length - (sign_byte ? 1 : 0);
  const std::size_t needed = digits.size() + (minus ? 1 : 0);
  if (needed > room)
    return reason(quoted(*text) + " needs " + plural(needed, "byte") + ", the field holds " + std::to_string(room));

  std::string out;
  out.reserve(field.length);
  if (field.sign == Sign::leading) out += negative ? '-' : '+';
  // Zero padding goes between the sign and the digits ("-000012345"); other padding outside both.
  const std::size_t fill = room - needed;
  if (field.align == Align::right && field.pad != '0') out.append(fill, field.pad);
  if (minus) out += '-';
  if (field.align == Align::right && field.pad == '0') out.append(fill, '0');
  out += digits;
  if (field.align == Align::left) out.append(fill, field.pad);
  if (field.sign == Sign::trailing) out += negative ? '-' : '+';
  return out;
}

}  // namespace qiao::fixed::detail
