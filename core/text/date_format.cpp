#include "core/text/date_format.hpp"

namespace qiao {

namespace {

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

int value_of(const DateTime& t, char field) {
  switch (field) {
    case 'y': return t.y;
    case 'M': return t.M;
    case 'd': return t.d;
    case 'H': return t.H;
    case 'm': return t.m;
    default: return t.s;
  }
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
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

void put(std::string& out, int v, int digits) {
  char buf[8];
  for (int i = digits - 1; i >= 0; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  out.append(buf, static_cast<std::size_t>(digits));
}

Error problem(std::string text) { return make_error(ErrorKind::bad_input, std::move(text)); }

}  // namespace

std::size_t DateFormat::width() const {
  std::size_t n = 0;
  for (const Part& part : parts) n += part.field == 0 ? 1 : static_cast<std::size_t>(qiao::width(part.field));
  return n;
}

std::string_view DateFormat::iso_form() const {
  if (has_date && has_time) return "YYYY-MM-DDTHH:MM:SS";
  return has_date ? "YYYY-MM-DD" : "HH:MM:SS";
}

Expected<DateFormat> compile_date_format(std::string_view f, DateLiterals literals) {
  DateFormat format;
  std::string seen;
  for (std::size_t i = 0; i < f.size();) {
    const char c = f[i];
    if (c == '\'') {  // 'T': literal letters
      const std::size_t end = f.find('\'', i + 1);
      if (end == std::string_view::npos) return problem(" has an unclosed quote");
      if (end == i + 1) format.parts.push_back({0, '\''});
      for (std::size_t k = i + 1; k < end; ++k) format.parts.push_back({0, f[k]});
      i = end + 1;
      continue;
    }
    if (literals == DateLiterals::ascii && static_cast<unsigned char>(c) >= 0x80) {
      return problem(": literal characters must be ASCII");
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!letter) {
      format.parts.push_back({0, c});
      ++i;
      continue;
    }
    const bool known = c == 'y' || c == 'M' || c == 'd' || c == 'H' || c == 'm' || c == 's';
    const std::size_t n = c == 'y' ? 4 : 2;
    if (!known || f.compare(i, n, std::string(n, c)) != 0 || (i + n < f.size() && f[i + n] == c))
      return problem(": use yyyy, MM, dd, HH, mm, ss (letters in quotes are literal)");
    if (seen.find(c) != std::string::npos) return problem(" repeats " + std::string(n, c));
    seen += c;
    format.parts.push_back({c, 0});
    i += n;
  }
  const auto has = [&](char c) { return seen.find(c) != std::string::npos; };
  format.has_date = has('y') || has('M') || has('d');
  format.has_time = has('H') || has('m') || has('s');
  if (format.has_date && !(has('y') && has('M') && has('d'))) return problem(" needs all of yyyy, MM and dd");
  if (format.has_time && !(has('H') && has('m'))) return problem(" needs both HH and mm");
  if (!format.has_date && !format.has_time) return problem(" has no date or time fields");
  return format;
}

std::optional<DateTime> read_date(std::string_view text, const DateFormat& format) {
  DateTime t;
  std::size_t i = 0;
  for (const DateFormat::Part& part : format.parts) {
    if (part.field == 0) {
      if (i >= text.size() || text[i] != part.literal) return std::nullopt;
      ++i;
    } else if (digits_at(text, i, width(part.field), *slot(t, part.field))) {
      i += static_cast<std::size_t>(width(part.field));
    } else {
      return std::nullopt;
    }
  }
  if (i != text.size()) return std::nullopt;
  return t;
}

std::optional<DateTime> read_iso_date(std::string_view s, const DateFormat& format) {
  DateTime t;
  std::size_t i = 0;
  if (format.has_date) {
    if (s.size() < 10 || !digits_at(s, 0, 4, t.y) || s[4] != '-' || !digits_at(s, 5, 2, t.M) || s[7] != '-' ||
        !digits_at(s, 8, 2, t.d))
      return std::nullopt;
    i = 10;
    if (!format.has_time) return i == s.size() ? std::optional(t) : std::nullopt;
    if (i >= s.size() || (s[i] != 'T' && s[i] != ' ')) return std::nullopt;
    ++i;
  }
  if (!digits_at(s, i, 2, t.H) || i + 2 >= s.size() || s[i + 2] != ':' || !digits_at(s, i + 3, 2, t.m)) {
    return std::nullopt;
  }
  i += 5;
  if (i == s.size()) return t;
  if (s[i] == ':' && digits_at(s, i + 1, 2, t.s) && i + 3 == s.size()) return t;
  return std::nullopt;
}

bool is_valid_date(const DateTime& t, const DateFormat& format) {
  if (format.has_date && (t.M < 1 || t.M > 12 || t.d < 1 || t.d > days_in_month(t.y, t.M))) return false;
  if (format.has_time && (t.H > 23 || t.m > 59 || t.s > 59)) return false;
  return true;
}

std::string iso_date(const DateTime& t, const DateFormat& format) {
  std::string out;
  if (format.has_date) {
    put(out, t.y, 4), out += '-', put(out, t.M, 2), out += '-', put(out, t.d, 2);
    if (format.has_time) out += 'T';
  }
  if (format.has_time) put(out, t.H, 2), out += ':', put(out, t.m, 2), out += ':', put(out, t.s, 2);
  return out;
}

void write_date(const DateTime& t, const DateFormat& format, std::string& out) {
  for (const DateFormat::Part& part : format.parts) {
    if (part.field == 0) out += part.literal;
    else put(out, value_of(t, part.field), width(part.field));
  }
}

}  // namespace qiao
