// Value → XML text, written directly (no DOM): element order is the Object's key order, and
// every string is escaped exactly once, here.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "codecs/xml/xml_codec.hpp"
#include "codecs/xml/xml_names.hpp"
#include "codecs/xml/xml_text.hpp"
#include "core/text/charset.hpp"

namespace qiao::xml {

namespace {

Error flow_error(const std::string& what, const std::string& path) {
  return make_error(ErrorKind::flow, "xml: " + what + " at " + path);
}

// The name characters pugixml accepts (ASCII letters, '_', ':', any non-ASCII byte to start;
// also digits, '-', '.' after), so whatever we write it reads back.
bool name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
bool name_char(unsigned char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

bool valid_name(std::string_view name) {
  if (name.empty() || !name_start(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!name_char(static_cast<unsigned char>(c))) return false;
  return find_invalid_utf8(name) == std::string_view::npos;
}

class Encoder {
 public:
  // A nested document starts `depth_before` levels down and its paths under `path_prefix`.
  Encoder(const Options& options, std::size_t depth_before = 0, std::string path_prefix = "$")
      : options_(options), depth_before_(depth_before), path_prefix_(std::move(path_prefix)) {}

  // The outer document honours root= and the namespace options; a nested one names its root.
  Expected<std::string> document(const Value& value, bool declaration) {
    const bool outer = depth_before_ == 0;
    std::string_view root;
    const Value* content = nullptr;
    if (outer && !options_.root.empty()) {
      root = options_.root;
      content = &value;
      if (value.is_object() && value.as_object().size() == 1 && value.as_object().begin()->first == root)
        content = &value.as_object().begin()->second;
    } else {
      if (!value.is_object() || value.as_object().size() != 1)
        return flow_error("the value must be an object with one key, the root element (or set root=)", path_prefix_);
      root = value.as_object().begin()->first;
      content = &value.as_object().begin()->second;
    }
    if (content->is_array())
      return flow_error("the root element cannot be an array", path_prefix_ + "." + std::string(root));
    if (declaration) {
      out_ += "<?xml version=\"1.0\" encoding=\"";
      out_ += options_.encoding.empty() ? std::string_view("UTF-8") : std::string_view(options_.encoding);
      out_ += "\"?>";
    }
    if (auto written = element(root, *content, path_prefix_ + "." + std::string(root), depth_before_ + 1, outer);
        !written)
      return std::move(written).error();
    return std::move(out_);
  }

 private:
  Status element(std::string_view name, const Value& value, const std::string& path, std::size_t depth, bool root) {
    if (!valid_name(name)) return flow_error("\"" + std::string(name) + "\" is not an XML element name", path);
    if (depth > options_.max_depth)
      return flow_error("nesting deeper than " + std::to_string(options_.max_depth) + " levels", path);

    out_ += '<';
    out_ += name;
    if (root) {
      for (const auto& [key, uri] : options_.namespaces) {
        if (value.is_object() && value.as_object().find("@" + key) != nullptr) continue;  // the Value's own wins
        if (auto ok = attribute(key, Value(uri), path); !ok) return ok;
      }
    }

    if (is_document(name, value)) {
      out_ += '>';
      if (auto ok = nested_text(name, value, path, depth); !ok) return ok;
      return close(name);
    }

    if (!value.is_object()) {
      std::string scratch;
      auto text = scalar_text(value, scratch, path);
      if (!text) return std::move(text).error();
      if (text->empty()) {
        out_ += "/>";
        return Ok{};
      }
      out_ += '>';
      if (auto ok = text_content(*text, detail::listed(options_.cdata, name), path); !ok) return ok;
      return close(name);
    }

    const Object& object = value.as_object();
    bool has_content = false;
    for (const auto& [key, member] : object) {
      if (!key.empty() && key[0] == '@') {
        if (auto ok = attribute(std::string_view(key).substr(1), member, path + "[\"" + key + "\"]"); !ok) return ok;
      } else {
        has_content = true;
      }
    }
    if (!has_content) {
      out_ += "/>";
      return Ok{};
    }
    out_ += '>';
    for (const auto& [key, member] : object) {
      if (!key.empty() && key[0] == '@') continue;
      const std::string child_path = path + "." + key;
      if (key == "#text" || key == "#cdata") {
        if (is_document(name, member)) {
          if (auto ok = nested_text(name, member, child_path, depth); !ok) return ok;
          continue;
        }
        std::string scratch;
        auto text = scalar_text(member, scratch, child_path);
        if (!text) return std::move(text).error();
        if (auto ok = text_content(*text, key == "#cdata" || detail::listed(options_.cdata, name), child_path,
                                   has_elements(object));
            !ok)
          return ok;
        continue;
      }
      if (member.is_array()) {
        const Array& items = member.as_array();
        for (std::size_t i = 0; i < items.size(); ++i) {
          const std::string item_path = child_path + "[" + std::to_string(i) + "]";
          if (items[i].is_array()) return flow_error("an array cannot hold an array directly", item_path);
          if (auto ok = element(key, items[i], item_path, depth + 1, false); !ok) return ok;
        }
        continue;
      }
      if (auto ok = element(key, member, child_path, depth + 1, false); !ok) return ok;
    }
    return close(name);
  }

  // An object under a nested= element: { InnerRoot = … }, written as a document in text.
  bool is_document(std::string_view name, const Value& value) const {
    if (!value.is_object() || value.as_object().size() != 1 || !detail::listed(options_.nested, name)) return false;
    const char first = value.as_object().begin()->first.empty() ? '@' : value.as_object().begin()->first[0];
    return first != '@' && first != '#';
  }

  // Serializes the inner document on its own, then escapes it once as this element's text.
  Status nested_text(std::string_view name, const Value& value, const std::string& path, std::size_t depth) {
    Encoder inner(options_, depth, path);
    auto text = inner.document(value, false);
    if (!text) return std::move(text).error();
    return text_content(*text, detail::listed(options_.cdata, name), path);
  }

  Status close(std::string_view name) {
    out_ += "</";
    out_ += name;
    out_ += '>';
    return Ok{};
  }

  Status attribute(std::string_view name, const Value& value, const std::string& path) {
    if (!valid_name(name)) return flow_error("\"" + std::string(name) + "\" is not an XML attribute name", path);
    if (value.is_null()) return Ok{};  // an absent optional attribute
    if (value.is_object() || value.is_array())
      return flow_error("an attribute must be a scalar, not " + std::string(type_name(value.type())), path);
    std::string scratch;
    auto text = scalar_text(value, scratch, path);
    if (!text) return std::move(text).error();
    if (auto ok = check_chars(*text, path); !ok) return ok;
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    for (char c : *text) {
      switch (c) {
        case '&': out_ += "&amp;"; break;
        case '<': out_ += "&lt;"; break;
        case '>': out_ += "&gt;"; break;
        case '"': out_ += "&quot;"; break;
        case '\t': out_ += "&#9;"; break;  // a raw tab, newline or CR would be read back as a space
        case '\n': out_ += "&#10;"; break;
        case '\r': out_ += "&#13;"; break;
        default: out_ += c;
      }
    }
    out_ += '"';
    return Ok{};
  }

  static bool has_elements(const Object& object) {
    for (const auto& [key, member] : object)
      if (key.empty() || (key[0] != '@' && key[0] != '#')) return true;
    return false;
  }

  // Text of an element, escaped once, or as CDATA when asked and possible.
  Status text_content(std::string_view text, bool as_cdata, const std::string& path, bool beside_elements = false) {
    if (auto ok = check_chars(text, path); !ok) return ok;
    if (as_cdata && text.find('\r') == std::string_view::npos) {  // CDATA cannot keep a CR: the parser makes it LF
      out_ += "<![CDATA[";
      std::size_t from = 0;
      for (std::size_t end; (end = text.find("]]>", from)) != std::string_view::npos; from = end + 2) {
        out_.append(text.substr(from, end + 2 - from));
        out_ += "]]><![CDATA[";  // "]]>" cannot appear inside a section: split it between two
      }
      out_.append(text.substr(from));
      out_ += "]]>";
      return Ok{};
    }
    // The parser drops whitespace-only text beside elements as formatting; written as references
    // it is not whitespace to the parser and reads back as the same characters.
    if (beside_elements && !text.empty() && all_xml_space(text)) {
      for (char c : text) out_ += c == ' ' ? "&#32;" : c == '\t' ? "&#9;" : c == '\n' ? "&#10;" : "&#13;";
      return Ok{};
    }
    std::size_t plain = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      const char* escaped = nullptr;
      switch (c) {
        case '&': escaped = "&amp;"; break;
        case '<': escaped = "&lt;"; break;
        case '>': escaped = "&gt;"; break;
        case '\r': escaped = "&#13;"; break;
        default: continue;
      }
      out_.append(text.substr(plain, i - plain));
      out_ += escaped;
      plain = i + 1;
    }
    out_.append(text.substr(plain));
    return Ok{};
  }

  static Status check_chars(std::string_view text, const std::string& path) {
    if (find_invalid_utf8(text) != std::string_view::npos) return flow_error("invalid UTF-8 in string", path);
    for (char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", u);
        return flow_error(std::string("control character ") + hex + " cannot be written in XML", path);
      }
    }
    return Ok{};
  }

  // A scalar as text; `scratch` holds it when it is not already a string.
  static Expected<std::string_view> scalar_text(const Value& value, std::string& scratch, const std::string& path) {
    switch (value.type()) {
      case Value::Type::null: return std::string_view();
      case Value::Type::boolean: return std::string_view(value.as_bool() ? "true" : "false");
      case Value::Type::integer: scratch = std::to_string(value.as_int()); return std::string_view(scratch);
      case Value::Type::real: {
        const double d = value.as_real();
        if (!std::isfinite(d)) return flow_error("cannot encode NaN/Infinity", path);
        char buf[32];
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
        scratch.assign(buf, end);
        return std::string_view(scratch);
      }
      case Value::Type::decimal: return std::string_view(value.as_decimal().text);
      case Value::Type::string: return value.as_string();
      case Value::Type::bytes: {
        static const char digits[] = "0123456789abcdef";
        for (unsigned char c : value.as_bytes().data.view()) {
          scratch += digits[c >> 4];
          scratch += digits[c & 15];
        }
        return std::string_view(scratch);
      }
      case Value::Type::array: return flow_error("an array cannot be text", path);
      case Value::Type::object: return flow_error("an object cannot be text", path);
    }
    return flow_error("unknown value type", path);
  }

  const Options& options_;
  std::size_t depth_before_;
  std::string path_prefix_;
  std::string out_;
};

}  // namespace

Expected<std::string> encode(const Value& value, const Options& options) {
  Encoder encoder(options);
  auto text = encoder.document(value, options.declaration);
  if (!text || options.encoding.empty()) return text;
  auto converted = from_utf8(*text, options.encoding);
  if (!converted) {
    std::string_view why = converted.error().message;
    if (why.rfind("charset: ", 0) == 0) why.remove_prefix(9);
    return make_error(ErrorKind::flow, "xml: " + std::string(why));
  }
  return converted;
}

}  // namespace qiao::xml
