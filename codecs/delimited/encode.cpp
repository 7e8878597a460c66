// Encoding: the reverse of decode. Each field is formatted by its column's type, then quoted
// (or escaped) only when its text needs it; the text is the value itself, so a value is never
// quoted twice. The whole output is converted to the charset at the end.

#include <string>
#include <vector>

#include "codecs/delimited/detail.hpp"
#include "core/text/charset.hpp"

namespace qiao::delimited {

namespace {

Error flow_error(std::string message) { return make_error(ErrorKind::flow, "delimited: " + std::move(message)); }

std::string where(std::size_t record, std::size_t column, std::string_view name) {
  std::string out = "record " + std::to_string(record) + ", column " + std::to_string(column);
  if (!name.empty()) out += " (" + std::string(name) + ")";
  return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// A field whose text lies outside ASCII, remembered so a charset failure can be pinned on it.
struct Span {
  std::size_t record, column, begin, end;
  std::string_view name;
};

class Writer {
 public:
  explicit Writer(const Options& o) : o_(o) {
    special_[static_cast<unsigned char>('\r')] = special_[static_cast<unsigned char>('\n')] = true;
    special_[static_cast<unsigned char>(o.delimiter)] = true;
    if (o.quote != no_char) special_[o.quote] = true;
    if (o.escape != no_char) special_[o.escape] = true;
  }

  std::string out;
  std::vector<Span> spans;

  // Writes one field's text (already formatted); `alone` says it is the record's only field.
  Status field(std::string_view text, bool alone, std::size_t record, std::size_t column, std::string_view name) {
    bool needs = false;
    bool ascii = true;
    for (char c : text) {
      needs = needs || special_[static_cast<unsigned char>(c)];
      ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    }
    // Spaces at the edges survive trim only inside quotes; a lone empty field would be an empty line.
    if (!text.empty() && o_.trim && (is_blank(text.front()) || is_blank(text.back()))) needs = true;
    if (text.empty() && alone && o_.skip_empty_lines && !o_.trailing_delimiter) needs = true;
    // A byte order mark opening the output would be taken for one and dropped on decode.
    const bool bom = out.empty() && text.substr(0, 3) == "\xEF\xBB\xBF";
    needs = needs || bom;
    const std::size_t begin = out.size();
    if (!needs) {
      out += text;
    } else if (o_.quote != no_char) {
      const char quote = static_cast<char>(o_.quote);
      out += quote;
      for (char c : text) {
        if (c == quote) out += o_.escape != no_char ? static_cast<char>(o_.escape) : quote;
        else if (o_.escape != no_char && c == static_cast<char>(o_.escape)) out += c;
        out += c;
      }
      out += quote;
    } else if (o_.escape != no_char && !text.empty() &&
               !(o_.trim && (is_blank(text.front()) || is_blank(text.back())))) {
      for (std::size_t i = 0; i < text.size(); ++i) {
        if (special_[static_cast<unsigned char>(text[i])] || (bom && i == 0)) out += static_cast<char>(o_.escape);
        out += text[i];
      }
    } else {
      return flow_error(where(record, column, name) + ": " + detail::quoted(text) +
                        " needs quoting (a delimiter, line break or edge space, or an empty lone field), "
                        "but quote and escape are both none");
    }
    if (!ascii && !o_.charset.empty()) spans.push_back({record, column, begin, out.size(), name});
    return Ok{};
  }

  void end_record() {
    if (o_.trailing_delimiter) out += o_.delimiter;
    switch (o_.terminator) {
      case Terminator::lf: out += '\n'; break;
      case Terminator::cr: out += '\r'; break;
      case Terminator::any:
      case Terminator::crlf: out += "\r\n"; break;
    }
  }

 private:
  const Options& o_;
  bool special_[256] = {};
};

}  // namespace

Expected<std::string> encode(const Value& value, const Options& o) {
  const Array* records = nullptr;
  const Array* header = nullptr;
  if (value.is_array()) {
    records = &value.as_array();
  } else if (value.is_object()) {
    for (const auto& [key, member] : value.as_object()) {
      if (key == "records" && member.is_array()) records = &member.as_array();
      else if (key == "header" && member.is_array()) header = &member.as_array();
      else if (key == "records" || key == "header")
        return flow_error(key + " must be an array, not a " + std::string(type_name(member.type())));
      else
        return flow_error("unknown key " + detail::quoted(key) +
                          " (a delimited value is {header, records} or an array of records)");
    }
    if (!records) return flow_error("the value has no records");
  } else {
    return flow_error("expected {header, records} or an array of records, not a " +
                      std::string(type_name(value.type())));
  }

  // The column names, in order: the layout's, else the header's, else the first object record's keys.
  const std::vector<Column>& columns = o.columns;
  std::vector<std::string_view> names;
  if (!columns.empty()) {
    for (const Column& c : columns) names.push_back(c.name);
  } else if (header) {
    for (std::size_t i = 0; i < header->size(); ++i) {
      if (!(*header)[i].is_string()) return flow_error("header[" + std::to_string(i) + "] must be a string");
      names.push_back((*header)[i].as_string());
    }
  } else {
    for (const Value& r : *records) {
      if (!r.is_object()) continue;
      for (const auto& member : r.as_object()) names.push_back(member.first);
      break;
    }
  }

  Writer w(o);
  w.out.reserve(records->size() * 64);
  std::string text;
  if (o.header && (header || !names.empty())) {
    const std::size_t n = header ? header->size() : names.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (i) w.out += o.delimiter;
      const std::string_view name = header ? (*header)[i].is_string() ? (*header)[i].as_string() : "" : names[i];
      if (header && !(*header)[i].is_string()) return flow_error("header[" + std::to_string(i) + "] must be a string");
      if (auto ok = w.field(name, n == 1, 0, i + 1, {}); !ok) return std::move(ok).error();
    }
    w.end_record();
  } else if (o.header && !records->empty()) {
    return flow_error("header=true, but neither a header, a layout nor object records name the columns");
  }

  const auto put = [&](const Value& v, std::size_t record, std::size_t index, std::size_t count) -> Status {
    const Column* column = index < columns.size() ? &columns[index] : nullptr;
    const std::string_view name = index < names.size() ? names[index] : std::string_view();
    text.clear();
    if (auto ok = detail::format_field(v, column, text); !ok)
      return flow_error(where(record, index + 1, name) + ": " + ok.error().message);
    if (text.empty() && column && column->required)
      return flow_error(where(record, index + 1, name) + ": the field is required but empty");
    if (index) w.out += o.delimiter;
    return w.field(text, count == 1, record, index + 1, name);
  };

  for (std::size_t r = 0; r < records->size(); ++r) {
    const Value& record = (*records)[r];
    const std::size_t number = r + 1;
    if (record.is_array()) {
      const Array& fields = record.as_array();
      if (fields.empty()) return flow_error("record " + std::to_string(number) + " has no fields");
      if (o.strict && !names.empty() && fields.size() != names.size())
        return flow_error("record " + std::to_string(number) + ": " + std::to_string(fields.size()) +
                          " fields, expected " + std::to_string(names.size()));
      for (std::size_t i = 0; i < fields.size(); ++i)
        if (auto ok = put(fields[i], number, i, fields.size()); !ok) return ok.error();
    } else if (record.is_object()) {
      if (names.empty()) return flow_error("record " + std::to_string(number) + ": an empty object names no columns");
      for (const auto& member : record.as_object()) {
        bool known = false;
        for (std::string_view n : names) known = known || n == member.first;
        if (!known)
          return flow_error("record " + std::to_string(number) + ": unknown column " + detail::quoted(member.first));
      }
      static const Value none;
      for (std::size_t i = 0; i < names.size(); ++i) {
        const Value* v = record.find(names[i]);
        if (auto ok = put(v ? *v : none, number, i, names.size()); !ok) return ok.error();
      }
    } else {
      return flow_error("record " + std::to_string(number) + " must be an object or an array, not a " +
                        std::string(type_name(record.type())));
    }
    w.end_record();
  }

  if (o.charset.empty()) return std::move(w.out);
  auto converted = from_utf8(w.out, o.charset);
  if (converted) return converted;
  for (const Span& span : w.spans) {
    if (!from_utf8(std::string_view(w.out).substr(span.begin, span.end - span.begin), o.charset)) {
      std::string_view shown = std::string_view(w.out).substr(span.begin, span.end - span.begin);
      const std::string at =
          span.record ? where(span.record, span.column, span.name) : "header, column " + std::to_string(span.column);
      return flow_error(at + ": " + detail::quoted(shown) + " cannot be written in " + o.charset);
    }
  }
  return flow_error(converted.error().message);
}

}  // namespace qiao::delimited
