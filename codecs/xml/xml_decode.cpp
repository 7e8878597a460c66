// XML → Value. pugixml parses a private copy of the message in place; the Value is built by a
// walk over its DOM, and long strings borrow from that copy.

#include <pugixml.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codecs/xml/xml_codec.hpp"
#include "codecs/xml/xml_names.hpp"
#include "core/text/charset.hpp"

namespace qiao::xml {

namespace {

constexpr unsigned parse_flags = pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_fragment;

// "line 3, column 14" for a byte offset into UTF-8 text; columns count characters, from 1.
std::string position(std::string_view text, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  std::size_t column = 1;
  for (std::size_t i = line_start; i < offset; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string_view status_text(pugi::xml_parse_status status) {
  switch (status) {
    case pugi::status_unrecognized_tag: return "malformed tag";
    case pugi::status_bad_pi: return "malformed processing instruction or declaration";
    case pugi::status_bad_comment: return "malformed comment";
    case pugi::status_bad_cdata: return "malformed CDATA section";
    case pugi::status_bad_doctype: return "malformed DOCTYPE";
    case pugi::status_bad_pcdata: return "malformed text";
    case pugi::status_bad_start_element: return "malformed start tag";
    case pugi::status_bad_attribute: return "malformed attribute";
    case pugi::status_bad_end_element: return "malformed end tag";
    case pugi::status_end_element_mismatch: return "mismatched end tag";
    case pugi::status_no_document_element: return "no root element";
    case pugi::status_out_of_memory: return "out of memory";
    default: return "cannot parse";
  }
}

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool all_space(std::string_view s) {
  for (char c : s)
    if (!is_xml_space(c)) return false;
  return true;
}

// A character XML 1.0 allows (the Char production); UTF-8 validity is checked separately.
bool xml_char(std::uint32_t c) {
  if (c < 0x20) return c == 0x9 || c == 0xA || c == 0xD;
  if (c >= 0xD800 && c <= 0xDFFF) return false;
  return c != 0xFFFE && c != 0xFFFF && c <= 0x10FFFF;
}

// Offset of the first problem in UTF-8 text pugixml would pass silently: a control character
// XML forbids, or a character reference to one (&#0; would even truncate the string). `what`
// says which. npos when clean.
std::size_t find_forbidden(std::string_view text, std::string& what) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && !xml_char(c)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      what = std::string("control character ") + hex;
      return i;
    }
    if (c != '&' || i + 2 >= text.size() || text[i + 1] != '#') continue;
    std::size_t k = i + 2;
    const bool hex = text[k] == 'x';
    if (hex) ++k;
    std::uint32_t code = 0;
    std::size_t digits = 0;
    for (; k < text.size(); ++k, ++digits) {
      const char d = text[k];
      std::uint32_t v = 0;
      if (d >= '0' && d <= '9') v = static_cast<std::uint32_t>(d - '0');
      else if (hex && d >= 'a' && d <= 'f') v = static_cast<std::uint32_t>(d - 'a' + 10);
      else if (hex && d >= 'A' && d <= 'F') v = static_cast<std::uint32_t>(d - 'A' + 10);
      else break;
      code = std::min<std::uint32_t>(code * (hex ? 16 : 10) + v, 0x110000);  // saturates: beyond Unicode
    }
    if (digits == 0 || k >= text.size() || text[k] != ';') continue;  // not a reference: pugixml keeps it as text
    if (xml_char(code)) continue;
    what = "character reference " + std::string(text.substr(i, k + 1 - i)) + " to a character XML does not allow";
    return i;
  }
  return std::string_view::npos;
}

// The charset a document declares in <?xml … encoding="…"?>, as written; empty when none.
std::string_view declared_encoding(std::string_view text) {
  if (text.rfind("<?xml", 0) != 0 || text.size() < 6 || !is_xml_space(text[5])) return {};
  const std::size_t end = text.find("?>");
  if (end == std::string_view::npos || end > 1024) return {};
  const std::string_view decl = text.substr(0, end);
  std::size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return {};
  at += 8;
  while (at < decl.size() && is_xml_space(decl[at])) ++at;
  if (at >= decl.size() || decl[at] != '=') return {};
  ++at;
  while (at < decl.size() && is_xml_space(decl[at])) ++at;
  if (at >= decl.size() || (decl[at] != '"' && decl[at] != '\'')) return {};
  const std::size_t close = decl.find(decl[at], at + 1);
  if (close == std::string_view::npos) return {};
  return decl.substr(at + 1, close - at - 1);
}

Error bad_input(std::string message) { return make_error(ErrorKind::bad_input, "xml: " + std::move(message)); }

// The document as UTF-8: a byte order mark or the declaration's encoding (else the option's)
// says what the bytes are. `nested` documents are text from a Value, UTF-8 already.
Expected<std::string> utf8_text(std::string_view bytes, const Options& options) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") return std::string(bytes.substr(3));
  std::string charset;
  if (bytes.size() >= 2 && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    charset = "UTF-16";
  } else if (const std::string_view declared = declared_encoding(bytes); !declared.empty()) {
    charset = normalize_charset(declared);
    if (!charset.empty() && !charset_supported(charset))
      return bad_input("unsupported encoding \"" + std::string(declared) + "\" in the XML declaration");
  } else {
    charset = options.encoding;
  }
  if (charset.empty()) return std::string(bytes);
  std::size_t failed_at = 0;
  auto converted = to_utf8(bytes, charset, &failed_at);
  if (!converted) {
    std::string_view why = converted.error().message;
    if (why.rfind("charset: ", 0) == 0) why.remove_prefix(9);
    // Where, as every other XML error says it: the text before the bad byte converts.
    auto before = to_utf8(bytes.substr(0, failed_at), charset);
    if (!before) return bad_input(std::string(why));
    return bad_input(std::string(why) + " at " + position(*before, before->size()));
  }
  return converted;
}

class Decoder {
 public:
  Decoder(const Options& options, std::size_t depth_before) : options_(options), depth_before_(depth_before) {}

  // Parses `text` (UTF-8, no byte order mark) into { Root = … }.
  Expected<Value> run(std::string text) {
    if (auto bad = find_invalid_utf8(text); bad != std::string_view::npos)
      return bad_input("invalid UTF-8 at " + position(text, bad));
    std::string what;
    if (auto bad = find_forbidden(text, what); bad != std::string_view::npos)
      return bad_input(what + " at " + position(text, bad));

    // pugixml parses in place and writes terminators; the trailing newline keeps text after
    // the root element whole, so it can be reported.
    auto work = std::make_shared<std::string>();
    work->reserve(text.size() + 1);
    work->assign(text).push_back('\n');
    anchor_ = work;
    source_ = std::move(text);  // kept for error positions: `work` is rewritten by the parser
    const std::string_view text_view = source_;
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed = doc.load_buffer_inplace(work->data(), work->size(), parse_flags, pugi::encoding_utf8);
    if (!parsed) {
      const auto offset = static_cast<std::size_t>(parsed.offset);
      if (offset >= text_view.size())
        return bad_input("unexpected end of document at " + position(text_view, text_view.size()));
      return bad_input(std::string(status_text(parsed.status)) + " at " + position(text_view, offset));
    }

    pugi::xml_node root;
    for (pugi::xml_node node : doc.children()) {
      if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
        if (node.type() == pugi::node_pcdata && all_space(node.value())) continue;
        return bad_input("text outside the root element at " + where(node));
      }
      if (node.type() != pugi::node_element) continue;
      if (root) return bad_input("a second root element <" + std::string(node.name()) + "> at " + where(node));
      root = node;
    }
    if (!root) return bad_input(all_space(text_view) ? "empty document" : "no root element");

    auto value = element(root, 1);
    if (!value) return std::move(value).error();
    Object top;
    top.push_back(std::string(root.name()), std::move(value).value());
    return Value(std::move(top));
  }

 private:
  std::string where(pugi::xml_node node) const {
    const std::ptrdiff_t offset = node.offset_debug();
    return position(source_, offset < 0 ? 0 : static_cast<std::size_t>(offset));
  }

  Value text_value(std::string_view s) const {
    if (s.size() > borrow_above) return Value(Text::borrow(anchor_, s));
    return Value(s);
  }

  Expected<Value> element(pugi::xml_node node, std::size_t depth) {
    if (depth_before_ + depth > options_.max_depth)
      return bad_input("nesting deeper than " + std::to_string(options_.max_depth) + " levels at " + where(node));

    const pugi::xml_node first = node.first_child();
    bool has_elements = false;
    for (pugi::xml_node child = first; child; child = child.next_sibling())
      if (child.type() == pugi::node_element) {
        has_elements = true;
        break;
      }

    if (!has_elements && !node.first_attribute()) {
      Value text = collect_text(node);
      return maybe_nested(node, std::move(text));
    }

    Object object;
    for (pugi::xml_attribute attribute : node.attributes()) {
      std::string key = "@";
      key += attribute.name();
      if (object.find(key) != nullptr)
        return bad_input("duplicate attribute " + std::string(attribute.name()) + " in <" + node.name() + "> at " + where(node));
      object.push_back(std::move(key), text_value(attribute.value()));
    }

    // The element name at each index of `object` ("" for attributes and text, which no element
    // name equals), and name → index once there are too many for a linear search.
    std::vector<std::string_view> keys(object.size());
    std::unordered_map<std::string_view, std::size_t> index;
    std::size_t text_index = static_cast<std::size_t>(-1);
    std::string mixed_text;
    std::size_t text_parts = 0;
    std::string_view single_text;

    for (pugi::xml_node child = first; child; child = child.next_sibling()) {
      const pugi::xml_node_type type = child.type();
      if (type == pugi::node_pcdata || type == pugi::node_cdata) {
        const std::string_view part = child.value();
        if (text_index == static_cast<std::size_t>(-1)) {
          text_index = object.size();
          object.push_back("#text", Value());
          keys.emplace_back();
        }
        if (text_parts++ == 0) single_text = part;
        else if (text_parts == 2) mixed_text.assign(single_text).append(part);
        else mixed_text.append(part);
        continue;
      }
      if (type != pugi::node_element) continue;

      auto value = element(child, depth + 1);
      if (!value) return std::move(value).error();
      const std::string_view name = child.name();

      std::size_t at = static_cast<std::size_t>(-1);
      if (keys.size() > 16) {
        if (index.empty())
          for (std::size_t i = 0; i < keys.size(); ++i)
            if (!keys[i].empty()) index.emplace(keys[i], i);
        if (auto found = index.find(name); found != index.end()) at = found->second;
      } else {
        for (std::size_t i = 0; i < keys.size(); ++i)
          if (keys[i] == name) {
            at = i;
            break;
          }
      }
      if (at == static_cast<std::size_t>(-1)) {
        const std::size_t slot = object.size();
        if (detail::listed(options_.arrays, name)) object.push_back(std::string(name), Value(Array{std::move(value).value()}));
        else object.push_back(std::string(name), std::move(value).value());
        keys.push_back(name);
        if (!index.empty()) index.emplace(name, slot);
        continue;
      }
      Value& slot = (object.begin() + static_cast<std::ptrdiff_t>(at))->second;
      if (!slot.is_array()) {
        Array both;
        both.reserve(4);
        both.push_back(std::move(slot));
        slot = Value(std::move(both));
      }
      slot.as_array().push_back(std::move(value).value());
    }

    if (text_index != static_cast<std::size_t>(-1)) {
      Value& slot = (object.begin() + static_cast<std::ptrdiff_t>(text_index))->second;
      slot = text_parts == 1 ? text_value(single_text) : Value(std::move(mixed_text));
      if (!has_elements) {
        auto nested = maybe_nested(node, std::move(slot));
        if (!nested) return std::move(nested).error();
        slot = std::move(nested).value();
      }
    }
    return Value(std::move(object));
  }

  // The text of an element without child elements or attributes: "" when empty.
  Value collect_text(pugi::xml_node node) const {
    const pugi::xml_node first = node.first_child();
    if (!first) return Value(std::string());
    if (!first.next_sibling()) return text_value(first.value());
    std::string all;
    for (pugi::xml_node child = first; child; child = child.next_sibling())
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) all += child.value();
    return Value(std::move(all));
  }

  // The text of an element named in nested=, decoded as a document when it looks like one.
  Expected<Value> maybe_nested(pugi::xml_node node, Value text) {
    if (!text.is_string() || !detail::listed(options_.nested, node.name())) return text;
    const std::string_view s = text.as_string();
    const std::size_t start = s.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos || s[start] != '<') return text;
    Decoder inner(options_, depth_before_ + depth_of(node));
    auto value = inner.run(std::string(s));
    if (!value) {
      Error error = std::move(value).error();
      error.message += " in the XML nested in <" + std::string(node.name()) + "> at " + where(node);
      return error;
    }
    return value;
  }

  static std::size_t depth_of(pugi::xml_node node) {
    std::size_t depth = 0;
    for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) ++depth;
    return depth;
  }

  const Options& options_;
  std::size_t depth_before_;
  Buffer anchor_;
  std::string source_;
};

}  // namespace

Expected<Value> decode(const Buffer& bytes, const Options& options) {
  if (bytes->size() > options.max_size)
    return make_error(ErrorKind::too_large, "xml: document of " + std::to_string(bytes->size()) +
                                                " bytes exceeds max_size of " + std::to_string(options.max_size) + " bytes");
  auto text = utf8_text(*bytes, options);
  if (!text) return std::move(text).error();
  Decoder decoder(options, 0);
  return decoder.run(std::move(text).value());
}

}  // namespace qiao::xml
