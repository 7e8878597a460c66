// Date and time fields: a layout's format (yyyy MM dd HH mm ss and literal characters) ⇄ the ISO
// form values carry ("2026-11-22", "2026-11-22T08:30:15", "08:30:15"), as in the delimited codec.

#include <string>

#include "codecs/fixed/detail.hpp"

namespace qiao::fixed::detail {

namespace {

struct DateTime {
  int y = 0, M = 0, d = 0, H = 0, m = 0, s = 0;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
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

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

bool valid(const DateTime& t, const Field& field) {
  if (field.has_date && (t.M < 1 || t.M > 12 || t.d < 1 || t.d > days_in_month(t.y, t.M))) return false;
  if (field.has_time && (t.H > 23 || t.m > 59 || t.s > 59)) return false;
  return true;
}

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

void put(std::string& out, int v, int digits) {
  char buf[8];
  for (int i = digits - 1; i >= 0; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  out.append(buf, static_cast<std::size_t>(digits));
}

std::string iso(const DateTime& t, const Field& field) {
  std::string out;
  if (field.has_date) {
    put(out, t.y, 4), out += '-', put(out, t.M, 2), out += '-', put(out, t.d, 2);
    if (field.has_time) out += 'T';
  }
  if (field.has_time) put(out, t.H, 2), out += ':', put(out, t.m, 2), out += ':', put(out, t.s, 2);
  return out;
}

std::string_view iso_form(const Field& field) {
  if (field.has_date && field.has_time) return "YYYY-MM-DDTHH:MM:SS";
  return field.has_date ? "YYYY-MM-DD" : "HH:MM:SS";
}

// What a flow writes: "2026-11-22", "2026-11-22T08:30:00" (or a space for the T), "08:30:00";
// the seconds may be left out.
bool parse_iso(std::string_view s, const Field& field, DateTime& t) {
  std::size_t i = 0;
  if (field.has_date) {
    if (s.size() < 10 || !digits_at(s, 0, 4, t.y) || s[4] != '-' || !digits_at(s, 5, 2, t.M) || s[7] != '-' ||
        !digits_at(s, 8, 2, t.d))
      return false;
    i = 10;
    if (!field.has_time) return i == s.size();
    if (i >= s.size() || (s[i] != 'T' && s[i] != ' ')) return false;
    ++i;
  }
  if (!digits_at(s, i, 2, t.H) || i + 2 >= s.size() || s[i + 2] != ':' || !digits_at(s, i + 3, 2, t.m)) return false;
  i += 5;
  if (i == s.size()) return true;
  return s[i] == ':' && digits_at(s, i + 1, 2, t.s) && i + 3 == s.size();
}

}  // namespace

Status compile_date(Field& field) {
  const std::string& f = field.format;
  if (f.empty()) return reason("a date field needs a format, e.g. yyyyMMdd");
  field.pattern.clear();
  std::string seen;
  for (std::size_t i = 0; i < f.size();) {
    const char c = f[i];
    if (c == '\'') {  // 'T': literal letters
      const std::size_t end = f.find('\'', i + 1);
      if (end == std::string::npos) return reason("date format " + quoted(f) + " has an unclosed quote");
      if (end == i + 1) field.pattern.push_back({0, '\''});
      for (std::size_t k = i + 1; k < end; ++k) field.pattern.push_back({0, f[k]});
      i = end + 1;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) return reason("date format " + quoted(f) + ": literal characters must be ASCII");
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!letter) {
      field.pattern.push_back({0, c});
      ++i;
      continue;
    }
    const bool known = c == 'y' || c == 'M' || c == 'd' || c == 'H' || c == 'm' || c == 's';
    const std::size_t n = c == 'y' ? 4 : 2;
    if (!known || f.compare(i, n, std::string(n, c)) != 0 || (i + n < f.size() && f[i + n] == c))
      return reason("date format " + quoted(f) + ": use yyyy, MM, dd, HH, mm, ss (letters in quotes are literal)");
    if (seen.find(c) != std::string::npos) return reason("date format " + quoted(f) + " repeats " + std::string(n, c));
    seen += c;
    field.pattern.push_back({c, 0});
    i += n;
  }
  const auto has = [&](char c) { return seen.find(c) != std::string::npos; };
  field.has_date = has('y') || has('M') || has('d');
  field.has_time = has('H') || has('m') || has('s');
  if (field.has_date && !(has('y') && has('M') && has('d')))
    return reason("date format " + quoted(f) + " needs all of yyyy, MM and dd");
  if (field.has_time && !(has('H') && has('m'))) return reason("date format " + quoted(f) + " needs both HH and mm");
  if (!field.has_date && !field.has_time) return reason("date format " + quoted(f) + " has no date or time fields");
  return Ok{};
}

std::size_t date_width(const Field& field) {
  std::size_t n = 0;
  for (const DatePart& part : field.pattern) n += part.field == 0 ? 1 : static_cast<std::size_t>(width(part.field));
  return n;
}

Expected<Value> parse_date(std::string_view text, const Field& field) {
  DateTime t;
  std::size_t i = 0;
  for (const DatePart& part : field.pattern) {
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
  if (i != text.size()) return reason(quoted(text) + " is not a date in the format " + field.format);
  if (!valid(t, field)) return reason(quoted(text) + " is not a valid date (" + field.format + ")");
  return Value(iso(t, field));
}

Status format_date(std::string_view text, const Field& field, std::string& out) {
  DateTime t;
  if (!parse_iso(text, field, t)) return reason(quoted(text) + " is not a date in the form " + std::string(iso_form(field)));
  if (!valid(t, field)) return reason(quoted(text) + " is not a valid date");
  for (const DatePart& part : field.pattern) {
    if (part.field == 0) out += part.literal;
    else put(out, *slot(t, part.field), width(part.field));
  }
  return Ok{};
}

}  // namespace qiao::fixed::detail
