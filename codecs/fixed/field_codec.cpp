// One field both ways: strings (padding, charset, never cutting a character), and the typed
// fields through numbers.cpp and dates.cpp.

#include <charconv>
#include <string>

#include "codecs/fixed/detail.hpp"
#include "core/text/charset.hpp"

namespace qiao::fixed::detail {

namespace {

bool is_blank(std::string_view bytes) { return bytes.find_first_not_of(' ') == std::string_view::npos; }

// The field's text without the padding on the side its alignment leaves free.
std::string_view unpadded(std::string_view bytes, const Field& field) {
  if (field.align == Align::left) {
    const std::size_t last = bytes.find_last_not_of(field.pad);
    return last == std::string_view::npos ? std::string_view() : bytes.substr(0, last + 1);
  }
  const std::size_t first = bytes.find_first_not_of(field.pad);
  return first == std::string_view::npos ? std::string_view() : bytes.substr(first);
}

// Bytes as readable UTF-8 for a message; raw bytes when they do not convert.
std::string readable(std::string_view bytes, const Layout& layout) {
  if (is_ascii(bytes) || layout.charset.empty()) return std::string(bytes);
  auto text = to_utf8(bytes, layout.charset);
  return text ? std::move(*text) : std::string(bytes);
}

bool needs_conversion(std::string_view bytes, const Layout& layout) {
  return !layout.charset.empty() && layout.family != CharsetFamily::utf8 && !is_ascii(bytes);
}

// What a string field writes for a scalar Value.
Expected<std::string> string_text(const Value& value) {
  char buf[64];
  switch (value.type()) {
    case Value::Type::string: return std::string(value.as_string());
    case Value::Type::decimal: return value.as_decimal().text;
    case Value::Type::integer: return std::string(buf, std::to_chars(buf, buf + sizeof buf, value.as_int()).ptr);
    case Value::Type::real: {
      const double d = value.as_real();
      if (d != d || d - d != 0) return reason("NaN or infinity cannot be written");
      return std::string(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
    }
    case Value::Type::boolean: return reason("a boolean cannot be written to a string field");
    case Value::Type::bytes: return reason("bytes cannot be written to a string field");
    case Value::Type::array: return reason("an array cannot be written to a string field");
    case Value::Type::object: return reason("an object cannot be written to a string field");
    case Value::Type::null: break;
  }
  return std::string();
}

Status encode_string(const Value& value, const Field& field, const Layout& layout, std::string& out) {
  auto text = string_text(value);
  if (!text) return std::move(text).error();
  if (text->find_first_of("\r\n") != std::string::npos)
    return reason(quoted(*text) + " holds a line break, which would end the record");
  std::string converted;
  std::string_view bytes = *text;
  if (needs_conversion(*text, layout)) {
    auto in_charset = from_utf8(*text, layout.charset);
    if (!in_charset) return reason(quoted(*text) + " cannot be written in " + std::string(charset_label(layout)));
    converted = std::move(*in_charset);
    bytes = converted;
  } else if (layout.family == CharsetFamily::utf8 && find_invalid_utf8(bytes) != std::string_view::npos) {
    return reason(quoted(*text) + " is not valid UTF-8");
  }
  if (bytes.size() > field.length) {
    if (!field.truncate)
      return reason(quoted(*text) + " is " + std::to_string(bytes.size()) + " bytes in " +
                    std::string(charset_label(layout)) + ", the field holds " + std::to_string(field.length));
    // Cut before the character that would not fit whole; the padding fills the byte it leaves.
    bytes = bytes.substr(0, whole_chars_prefix(bytes, field.length, layout.family));
  }
  append_padded(out, bytes, field);
  return Ok{};
}

}  // namespace

Expected<Value> decode_field(std::string_view bytes, const Field& field, const Layout& layout, const Buffer& anchor) {
  if (field.type != FieldType::string) {
    if (is_blank(bytes)) {
      if (field.required) return reason("the field is required but blank");
      return Value();
    }
    if (!is_ascii(bytes)) {
      const std::string shown = quoted(readable(bytes, layout));
      return reason(shown + (field.type == FieldType::date ? " is not a date in the format " + field.format
                                                           : std::string(" is not a number")));
    }
    if (field.type == FieldType::date) return parse_date(unpadded(bytes, field), field);
    return parse_number(bytes, field);
  }
  const std::string_view text = unpadded(bytes, field);
  if (text.empty() && field.required) return reason("the field is required but blank");
  if (needs_conversion(text, layout)) {
    auto utf8 = to_utf8(text, layout.charset);
    if (!utf8) return reason(quoted(std::string(text)) + " is not valid " + std::string(charset_label(layout)));
    return Value(std::move(*utf8));
  }
  if (text.size() > borrow_above && anchor) return Value(Text::borrow(anchor, text));
  return Value(text);
}

Status encode_field(const Value& value, const Field& field, const Layout& layout, std::string& out) {
  if (value.is_null()) {
    if (field.required) return reason("the field is required");
    if (field.type == FieldType::string) append_padded(out, {}, field);
    else out.append(field.length, ' ');  // blank: decodes back to null
    return Ok{};
  }
  switch (field.type) {
    case FieldType::string: return encode_string(value, field, layout, out);
    case FieldType::integer:
    case FieldType::decimal: {
      auto text = format_number(value, field);
      if (!text) return std::move(text).error();
      out += *text;
      return Ok{};
    }
    case FieldType::date: {
      if (!value.is_string())
        return reason("a date field takes text such as 2026-11-22, not a value of type " +
                      std::string(qiao::type_name(value.type())));
      std::string text;
      if (auto formatted = format_date(value.as_string(), field, text); !formatted) return formatted;
      append_padded(out, text, field);
      return Ok{};
    }
  }
  return Ok{};
}

}  // namespace qiao::fixed::detail
