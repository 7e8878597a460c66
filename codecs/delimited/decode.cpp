// Decoding: a single pass over the text that splits records and fields (RFC 4180 quoting,
// an optional escape character, the configured terminator), then turns each record into an
// array of strings or an object typed by the layout. Unquoted fields without escapes borrow from
// the buffer; everything else is copied once.

#include <array>
#include <string>
#include <vector>

#include "codecs/delimited/detail.hpp"
#include "core/text/charset.hpp"

namespace qiao::delimited {

namespace {

struct Field {
  std::string_view view;  // the text, unless owned
  std::string owned;      // the text when unescaping was needed
  bool is_owned = false;
  bool quoted = false;
  std::size_t line = 0;  // where the field starts

  std::string_view text() const { return is_owned ? std::string_view(owned) : view; }
};

Error bad(std::string message) { return make_error(ErrorKind::bad_input, "delimited: " + std::move(message)); }

std::string where(std::size_t line, std::size_t column) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string where(std::size_t line, std::size_t column, std::string_view name) {
  std::string out = where(line, column);
  if (!name.empty()) out += " (" + std::string(name) + ")";
  return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

Error too_many_fields(std::size_t line, std::size_t max_fields) {
  return make_error(ErrorKind::too_large, "delimited: line " + std::to_string(line) + ": more than " +
                                              std::to_string(max_fields) + " fields (max_fields)");
}

class Parser {
 public:
  Parser(std::string_view text, const Options& options) : s_(text), o_(options) {
    for (unsigned char c : {static_cast<unsigned char>(options.delimiter), static_cast<unsigned char>('\r'),
                            static_cast<unsigned char>('\n')})
      plain_stop_[c] = true;
    quoted_stop_[static_cast<unsigned char>('\r')] = quoted_stop_[static_cast<unsigned char>('\n')] = true;
    if (options.escape != no_char) plain_stop_[options.escape] = quoted_stop_[options.escape] = true;
    if (options.quote != no_char) quoted_stop_[options.quote] = true;
  }

  std::size_t line() const { return line_; }

  // Reads the next record into `fields` (reusing their storage); false at the end of the input.
  Expected<bool> next(std::vector<Field>& fields, std::size_t& count) {
    count = 0;
    if (o_.skip_empty_lines) {
      while (pos_ < s_.size() && terminator_at(pos_)) consume_terminator();
    }
    if (pos_ >= s_.size()) return false;
    for (;;) {
      // One over the limit may still be a trailing delimiter's empty field, which is not data.
      if (count > o_.max_fields) return too_many_fields(line_, o_.max_fields);
      if (count == fields.size()) fields.emplace_back();
      Field& field = fields[count++];
      if (auto read = read_field(field, count); !read) return std::move(read).error();
      if (pos_ >= s_.size()) break;
      if (s_[pos_] == o_.delimiter) {
        ++pos_;
        continue;
      }
      consume_terminator();  // read_field stops only at a delimiter, a terminator or the end
      break;
    }
    return true;
  }

 private:
  bool terminator_at(std::size_t i) const {
    const char c = s_[i];
    switch (o_.terminator) {
      case Terminator::any: return c == '\r' || c == '\n';
      case Terminator::lf: return c == '\n';
      case Terminator::cr: return c == '\r';
      case Terminator::crlf: return c == '\r' && i + 1 < s_.size() && s_[i + 1] == '\n';
    }
    return false;
  }

  void consume_terminator() {
    if (s_[pos_] == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n' &&
        (o_.terminator == Terminator::any || o_.terminator == Terminator::crlf)) {
      pos_ += 2;
    } else {
      ++pos_;
    }
    ++line_;
  }

  // Line breaks inside data still advance the line count: CRLF, LF and a lone CR each count once.
  void count_break(std::size_t i) {
    if (s_[i] == '\n' || i + 1 >= s_.size() || s_[i + 1] != '\n') ++line_;
  }

  // s_[pos_] is the escape character: the text before it and the byte after it join the field,
  // which from now on owns its text.
  void take_escaped(Field& field, std::size_t& chunk) {
    field.owned.append(s_.substr(chunk, pos_ - chunk));
    field.is_owned = true;
    if (s_[pos_ + 1] == '\r' || s_[pos_ + 1] == '\n') count_break(pos_ + 1);
    field.owned += s_[pos_ + 1];
    pos_ += 2;
    chunk = pos_;
  }

  Status read_field(Field& field, std::size_t column) {
    field.is_owned = false;
    field.quoted = false;
    field.owned.clear();
    field.line = line_;
    if (o_.trim) {
      std::size_t p = pos_;
      while (p < s_.size() && is_blank(s_[p])) ++p;
      if (o_.quote != no_char && p < s_.size() && s_[p] == static_cast<char>(o_.quote)) pos_ = p;
    }
    if (o_.quote != no_char && pos_ < s_.size() && s_[pos_] == static_cast<char>(o_.quote))
      return read_quoted(field, column);
    return read_plain(field, column);
  }

  Status read_plain(Field& field, std::size_t column) {
    std::size_t chunk = pos_;
    for (;;) {
      while (pos_ < s_.size() && !plain_stop_[static_cast<unsigned char>(s_[pos_])]) ++pos_;
      if (pos_ >= s_.size()) break;
      const char c = s_[pos_];
      if (c == o_.delimiter) break;
      if (o_.escape != no_char && c == static_cast<char>(o_.escape)) {
        if (pos_ + 1 >= s_.size()) return bad(where(line_, column) + ": the escape character ends the input");
        take_escaped(field, chunk);
        continue;
      }
      if (terminator_at(pos_)) break;
      count_break(pos_);  // a CR or LF that does not end a record is data
      ++pos_;
    }
    if (field.is_owned) {
      field.owned.append(s_.substr(chunk, pos_ - chunk));
      if (o_.trim) {
        const std::size_t b = field.owned.find_first_not_of(" \t");
        field.owned.erase(0, b == std::string::npos ? field.owned.size() : b);
        while (!field.owned.empty() && is_blank(field.owned.back())) field.owned.pop_back();
      }
    } else {
      std::string_view v = s_.substr(chunk, pos_ - chunk);
      if (o_.trim) {
        while (!v.empty() && is_blank(v.front())) v.remove_prefix(1);
        while (!v.empty() && is_blank(v.back())) v.remove_suffix(1);
      }
      field.view = v;
    }
    return Ok{};
  }

  Status read_quoted(Field& field, std::size_t column) {
    const char quote = static_cast<char>(o_.quote);
    const std::size_t open_line = line_;
    field.quoted = true;
    std::size_t chunk = ++pos_;
    for (;;) {
      while (pos_ < s_.size() && !quoted_stop_[static_cast<unsigned char>(s_[pos_])]) ++pos_;
      if (pos_ >= s_.size()) return bad(where(open_line, column) + ": unterminated quote");
      const char c = s_[pos_];
      if (c == quote) {
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] == quote) {  // "" is one quote
          field.owned.append(s_.substr(chunk, pos_ + 1 - chunk));
          field.is_owned = true;
          pos_ += 2;
          chunk = pos_;
          continue;
        }
        break;
      }
      if (c == '\r' || c == '\n') {
        count_break(pos_);
        ++pos_;
        continue;
      }
      // the escape character
      if (pos_ + 1 >= s_.size()) return bad(where(open_line, column) + ": unterminated quote");
      take_escaped(field, chunk);
    }
    if (field.is_owned) field.owned.append(s_.substr(chunk, pos_ - chunk));
    else field.view = s_.substr(chunk, pos_ - chunk);
    ++pos_;  // the closing quote
    if (o_.trim) {
      while (pos_ < s_.size() && is_blank(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] != o_.delimiter && !terminator_at(pos_)) {
      std::string shown = s_[pos_] == '\r' ? "CR" : s_[pos_] == '\n' ? "LF" : std::string(1, s_[pos_]);
      return bad(where(line_, column) + ": unexpected '" + shown + "' after the closing quote");
    }
    return Ok{};
  }

  std::string_view s_;
  const Options& o_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::array<bool, 256> plain_stop_{};
  std::array<bool, 256> quoted_stop_{};
};

// Where `offset` falls, as "line L" (for encoding errors found before parsing).
std::size_t line_of(std::string_view s, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < s.size(); ++i)
    if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n'))) ++line;
  return line;
}

// Converts the input to UTF-8; on failure, converts line by line to say which line is bad.
Expected<std::string> convert(std::string_view s, const std::string& charset) {
  auto whole = to_utf8(s, charset);
  if (whole) return whole;
  std::size_t line = 1;
  for (std::size_t start = 0; start < s.size(); ++line) {
    std::size_t end = s.find('\n', start);
    if (end == std::string_view::npos) end = s.size();
    if (auto one = to_utf8(s.substr(start, end - start), charset); !one) {
      std::string why = one.error().message;  // "charset: byte N cannot be converted …"
      if (why.rfind("charset: ", 0) == 0) why.erase(0, 9);
      return bad("line " + std::to_string(line) + ": " + why + " (counting from the start of the line)");
    }
    start = end + 1;
  }
  return std::move(whole).error();
}

Value text_value(const Field& field, const Buffer& anchor) {
  if (field.is_owned) return Value(Text(field.owned));
  if (field.view.size() > borrow_above) return Value(Text::borrow(anchor, field.view));
  return Value(Text(field.view));
}

}  // namespace

Expected<Value> decode(const Buffer& bytes, const Options& o) {
  static const Buffer empty = make_buffer(std::string());
  Buffer anchor = bytes ? bytes : empty;
  if (anchor->size() > o.max_size)
    return make_error(ErrorKind::too_large, "delimited: the input is " + std::to_string(anchor->size()) +
                                                " bytes, more than max_size (" + std::to_string(o.max_size) + ")");
  std::string_view s = *anchor;
  if (o.charset.empty()) {
    if (const std::size_t bad_at = find_invalid_utf8(s); bad_at != std::string_view::npos)
      return bad("line " + std::to_string(line_of(s, bad_at)) + ": invalid UTF-8 at byte " + std::to_string(bad_at) +
                 " (set charset, e.g. charset=GBK)");
  } else {
    auto utf8 = convert(s, o.charset);
    if (!utf8) return std::move(utf8).error();
    anchor = make_buffer(std::move(*utf8));
    s = *anchor;
  }
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);  // a byte order mark is not data

  Parser parser(s, o);
  std::vector<Field> fields;
  std::size_t count = 0;
  Object result;
  std::vector<std::string> header_names;
  const std::vector<Column>& columns = o.columns;

  if (o.header) {
    auto got = parser.next(fields, count);
    if (!got) return std::move(got).error();
    if (!*got) return bad("the input is empty, but the first line should be a header row (header=true)");
    // "id|name|": a trailing delimiter; the records' extra field is then tolerated below.
    if (count >= 2 && fields[count - 1].text().empty() && !fields[count - 1].quoted) --count;
    Array header;
    header.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view name = fields[i].text();
      if (columns.empty()) {
        if (name.empty()) return bad(where(fields[i].line, i + 1) + ": the header row gives this column no name");
        for (const std::string& other : header_names)
          if (other == name)
            return bad(where(fields[i].line, i + 1) + ": the header row names " + detail::quoted(name) + " twice");
        header_names.emplace_back(name);
      }
      header.emplace_back(Text(name));
    }
    result.push_back("header", Value(std::move(header)));
  }

  const std::size_t named = columns.empty() ? header_names.size() : columns.size();
  std::size_t expected = named;
  Array records;
  for (;;) {
    auto got = parser.next(fields, count);
    if (!got) return std::move(got).error();
    if (!*got) break;
    if (records.size() >= o.max_records)
      return make_error(ErrorKind::too_large, "delimited: line " + std::to_string(fields[0].line) + ": more than " +
                                                  std::to_string(o.max_records) + " records (max_records)");
    // "a|b|": the last, empty field is the trailing delimiter's, not data.
    if (count >= 2 && fields[count - 1].text().empty() && !fields[count - 1].quoted &&
        (o.trailing_delimiter || (named != 0 && count == named + 1)))
      --count;
    if (count > o.max_fields) return too_many_fields(fields[0].line, o.max_fields);
    if (expected == 0) expected = count;
    if (o.strict && count != expected)
      return bad("line " + std::to_string(fields[0].line) + ": " + std::to_string(count) + " field" +
                 (count == 1 ? "" : "s") + ", expected " + std::to_string(expected));

    if (named == 0) {
      Array record;
      record.reserve(count);
      for (std::size_t i = 0; i < count; ++i) record.push_back(text_value(fields[i], anchor));
      records.emplace_back(std::move(record));
      continue;
    }
    Object record;
    record.reserve(named);
    for (std::size_t i = 0; i < named; ++i) {
      const Column* column = columns.empty() ? nullptr : &columns[i];
      const std::string& name = column ? column->name : header_names[i];
      const std::size_t line = i < count ? fields[i].line : fields[0].line;
      const std::string_view text = i < count ? fields[i].text() : std::string_view();
      if (text.empty()) {
        if (column && column->required) return bad(where(line, i + 1, name) + ": the field is required but empty");
        record.push_back(name, column && column->type != ColumnType::string ? Value() : Value(Text()));
      } else if (column && column->type != ColumnType::string) {
        auto typed = detail::parse_typed(text, *column);
        if (!typed) return bad(where(line, i + 1, name) + ": " + typed.error().message);
        record.push_back(name, std::move(*typed));
      } else {
        record.push_back(name, text_value(fields[i], anchor));
      }
    }
    records.emplace_back(std::move(record));
  }
  result.push_back("records", Value(std::move(records)));
  return Value(std::move(result));
}

}  // namespace qiao::delimited
