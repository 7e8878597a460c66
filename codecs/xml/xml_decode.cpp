// XML → Value. pugixml parses a private copy of the message in place; the Value is built by a
// walk over its DOM, and long strings borrow from that copy.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codecs/xml/pugi_status.hpp"
#include "codecs/xml/xml_codec.hpp"
#include "codecs/xml/xml_names.hpp"
#include "codecs/xml/xml_text.hpp"

namespace qiao::xml {

namespace {

constexpr unsigned parse_flags = pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_fragment;

Error bad_input(std::string message) { return make_error(ErrorKind::bad_input, "xml: " + std::move(message)); }

class Decoder {
 public:
  Decoder(const Options& options, std::size_t depth_before) : options_(options), depth_before_(depth_before) {}

  // Parses `text` (UTF-8, no byte order mark) into { Root = … }.
  Expected<Value> run(std::string text) {
    std::string what;
    if (auto bad = find_unreadable(text, what); bad != std::string_view::npos)
      return bad_input(what + " at " + line_column(text, bad));

    // pugixml parses in place and writes terminators; the trailing newline keeps text after
    // the root element whole, so it can be reported.
    auto work = std::make_shared<std::string>();
    work->reserve(text.size() + 1);
    work->assign(text).push_back('\n');
    anchor_ = work;
    source_ = std::move(text);  // kept for error positions: `work` is rewritten by the parser
    const std::string_view text_view = source_;
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed =
        doc.load_buffer_inplace(work->data(), work->size(), parse_flags, pugi::encoding_utf8);
    if (!parsed) {
      const auto offset = static_cast<std::size_t>(parsed.offset);
      if (offset >= text_view.size())
        return bad_input("unexpected end of document at " + line_column(text_view, text_view.size()));
      return bad_input(std::string(status_text(parsed.status)) + " at " + line_column(text_view, offset));
    }

    pugi::xml_node root;
    for (pugi::xml_node node : doc.children()) {
      if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
        if (node.type() == pugi::node_pcdata && all_xml_space(node.value())) continue;
        return bad_input("text outside the root element at " + where(node));
      }
      if (node.type() != pugi::node_element) continue;
      if (root) return bad_input("a second root element <" + std::string(node.name()) + "> at " + where(node));
      root = node;
    }
    if (!root) return bad_input(all_xml_space(text_view) ? "empty document" : "no root element");

    auto value = element(root, 1);
    if (!value) return std::move(value).error();
    Object top;
    top.push_back(std::string(root.name()), std::move(value).value());
    return Value(std::move(top));
  }

 private:
  std::string where(pugi::xml_node node) const {
    const std::ptrdiff_t offset = node.offset_debug();
    return line_column(source_, offset < 0 ? 0 : static_cast<std::size_t>(offset));
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
        return bad_input("duplicate attribute " + std::string(attribute.name()) + " in <" + node.name() + "> at " +
                         where(node));
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
        if (detail::listed(options_.arrays, name))
          object.push_back(std::string(name), Value(Array{std::move(value).value()}));
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
                                                " bytes exceeds max_size of " + std::to_string(options.max_size) +
                                                " bytes");
  auto text = utf8_document(*bytes, options.encoding, "xml");
  if (!text) return std::move(text).error();
  Decoder decoder(options, 0);
  return decoder.run(std::move(text).value());
}

}  // namespace qiao::xml
