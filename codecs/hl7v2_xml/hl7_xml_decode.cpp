// XML → Value. pugixml parses a private copy of the document in place; a walk over its DOM
// checks every element name against its parent (<PID.5.1> only inside <PID.5>, <PID.5> only
// inside <PID>) and builds the Value hl7::decode gives for the same message in ER7: positions
// left out become empty strings, a field of one plain component is a string, consecutive
// elements with one field name are repetitions. Long leaves borrow from the copy.

#include <charconv>
#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"
#include "codecs/hl7v2_xml/hl7_xml_text.hpp"
#include "codecs/xml/pugi_status.hpp"
#include "codecs/xml/xml_text.hpp"

namespace qiao::hl7xml {

namespace {

// Whitespace-only text is kept so that a leaf's text survives exactly; between elements the
// walk ignores it. A fragment, so that text or a second element after the root can be named.
constexpr unsigned parse_flags = pugi::parse_default | pugi::parse_ws_pcdata | pugi::parse_fragment;

constexpr std::string_view message_root = "HL7Message";
constexpr std::string_view batch_root = "HL7Batch";
constexpr std::string_view file_root = "HL7File";

using xml::all_xml_space;
using xml::find_unreadable;
using xml::line_column;
using xml::status_text;

bool is_text(pugi::xml_node node) { return node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata; }

bool is_batch_header(std::string_view id) { return id == "FHS" || id == "BHS"; }
bool is_batch_trailer(std::string_view id) { return id == "BTS" || id == "FTS"; }
bool is_header(std::string_view id) { return id == "MSH" || is_batch_header(id); }

// What the name of a child of `parent` says: <PID.5> inside <PID> is position 5.
enum class Naming { position, other_parent, not_a_number };

Naming position_in(std::string_view name, std::string_view parent, std::size_t& number) {
  if (name.size() <= parent.size() + 1 || name.compare(0, parent.size(), parent) != 0 || name[parent.size()] != '.')
    return Naming::other_parent;
  const std::string_view digits = name.substr(parent.size() + 1);
  // Nine digits at most: a position beyond that could only be a hostile gap (see fill()).
  if (digits.size() > 9 || digits[0] == '0') return Naming::not_a_number;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (ec != std::errc() || end != digits.data() + digits.size()) return Naming::not_a_number;
  return Naming::position;
}

class Decoder {
 public:
  explicit Decoder(const Options& options) : options_(options) {}

  Expected<Value> run(std::string text) {
    std::string what;
    if (const std::size_t bad = find_unreadable(text, what); bad != std::string_view::npos)
      return error(what + " at " + line_column(text, bad));

    // pugixml parses in place and writes terminators; the trailing newline keeps text after the
    // root element whole, so that it can be reported.
    auto work = std::make_shared<std::string>();
    work->reserve(text.size() + 1);
    work->assign(text).push_back('\n');
    anchor_ = work;
    fill_budget_ = text.size();
    source_ = std::move(text);  // kept for positions: the parser rewrites `work`
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed =
        doc.load_buffer_inplace(work->data(), work->size(), parse_flags, pugi::encoding_utf8);
    if (!parsed) {
      const auto offset = static_cast<std::size_t>(parsed.offset);
      if (offset >= source_.size())
        return error("unexpected end of document at " + line_column(source_, source_.size()));
      return error(std::string(status_text(parsed.status)) + " at " + line_column(source_, offset));
    }

    pugi::xml_node root;
    for (pugi::xml_node node : doc.children()) {
      if (is_text(node)) {
        if (node.type() == pugi::node_pcdata && all_xml_space(node.value())) continue;
        return error_at("text outside the root element", node);
      }
      if (node.type() != pugi::node_element) continue;
      if (root) return error_at("a second root element <" + std::string(node.name()) + ">", node);
      root = node;
    }
    if (!root) return error(all_xml_space(source_) ? "empty document" : "no root element");

    // Attributes on the root (xmlns declarations some tools add) mean nothing here; elsewhere
    // they are refused, since the form has no place for what they would say.
    const std::string_view name = root.name();
    if (name == message_root) return message(root);
    if (name == batch_root) return batch(root);
    if (name == file_root) return file(root);
    return error_at("the root element is <" + std::string(name) + ">; expected <HL7Message>, <HL7Batch> or <HL7File>",
                    root);
  }

 private:
  Error error(std::string what) const { return make_error(ErrorKind::bad_input, "hl7v2-xml: " + std::move(what)); }

  std::string where(pugi::xml_node node) const {
    const std::ptrdiff_t offset = node.offset_debug();
    return line_column(source_, offset < 0 ? 0 : static_cast<std::size_t>(offset));
  }

  Error error_at(const std::string& what, pugi::xml_node node) const { return error(what + " at " + where(node)); }

  static std::string tag(pugi::xml_node node) { return "<" + std::string(node.name()) + ">"; }

  // Whether `node` holds elements; text beside them is an error unless it is whitespace.
  Expected<bool> holds_elements(pugi::xml_node node) const {
    if (node.parent().type() != pugi::node_document && node.first_attribute())
      return error_at("attribute " + std::string(node.first_attribute().name()) + " on " + tag(node) +
                          ": the hl7v2-xml form has no attributes",
                      node);
    bool elements = false;
    pugi::xml_node text;
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
      if (child.type() == pugi::node_element) elements = true;
      else if (!text && is_text(child) && !all_xml_space(child.value())) text = child;
    }
    if (elements && text) return error_at(tag(node) + " mixes text and elements", text);
    return elements;
  }

  // Text that is not whitespace among the children of an element that holds elements.
  Status no_text(pugi::xml_node node, std::string_view belongs) const {
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling())
      if (is_text(child) && !all_xml_space(child.value()))
        return error_at("text inside " + tag(node) + ", where only " + std::string(belongs) + " belong", child);
    return Ok{};
  }

  // A leaf's text exactly as written (CDATA included), in the form an ER7 round trip gives.
  Value leaf(pugi::xml_node node) const {
    const pugi::xml_node first = node.first_child();
    if (!first) return Value(std::string());
    if (!first.next_sibling()) return text_value(first.value());
    std::string all;
    for (pugi::xml_node child = first; child; child = child.next_sibling())
      if (is_text(child)) all += child.value();
    return text_value(all);
  }

  Value text_value(std::string_view text) const {
    if (!is_er7_text(text, seps_)) return Value(er7_text(text, seps_));
    // Only views into the parsed copy may borrow; a concatenation is owned.
    const bool in_copy =
        text.data() >= anchor_->data() && text.data() + text.size() <= anchor_->data() + anchor_->size();
    if (text.size() > borrow_above && in_copy) return Value(Text::borrow(anchor_, text));
    return Value(Text(text));
  }

  // Empty positions for a gap (<PID.3> then <PID.7>). Each costs a Value but no byte of input,
  // so the whole document may fill at most as many as it has bytes: memory stays linear.
  Status fill(Array& items, std::size_t count, pugi::xml_node node) {
    if (count > fill_budget_)
      return make_error(ErrorKind::too_large, "hl7v2-xml: " + tag(node) + " at " + where(node) +
                                                  " leaves out more positions than the document has bytes");
    fill_budget_ -= count;
    items.resize(items.size() + count, Value(std::string()));
    return Ok{};
  }

  // The position a child element's name gives, checked against its parent's name.
  Expected<std::size_t> position(pugi::xml_node child, std::string_view parent) const {
    std::size_t number = 0;
    switch (position_in(child.name(), parent, number)) {
      case Naming::position: return number;
      case Naming::other_parent:
        return error_at(tag(child) + " inside <" + std::string(parent) + ">; expected <" + std::string(parent) + ".n>",
                        child);
      case Naming::not_a_number: break;
    }
    const std::string_view name = child.name();
    return error_at(
        tag(child) + ": '" + std::string(name.substr(parent.size() + 1)) + "' is not a position (a number from 1)",
        child);
  }

  Status count_segment(pugi::xml_node node) {
    if (++segments_ > options_.max_segments)
      return make_error(ErrorKind::too_large, "hl7v2-xml: more than " + std::to_string(options_.max_segments) +
                                                  " segments (max_segments) at " + where(node));
    return Ok{};
  }

  Expected<Value> message(pugi::xml_node node) {
    if (auto ok = no_text(node, "segment elements"); !ok) return std::move(ok).error();
    if (auto ok = holds_elements(node); !ok) return std::move(ok).error();
    Array segments;
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      const std::string_view id = child.name();
      if (id == message_root || id == batch_root || id == file_root)
        return error_at(tag(child) + " inside " + tag(node) + "; a batch is <HL7Batch> holding <HL7Message> elements",
                        child);
      if (!hl7::valid_segment_id(id))
        return error_at(tag(child) + " is not a segment (three capital letters or digits)", child);
      if (is_batch_header(id) || is_batch_trailer(id))
        return error_at(tag(child) +
                            " inside <HL7Message>; batch header and trailer segments belong in <HL7Batch>, "
                            "around its <HL7Message> elements",
                        child);
      if (segments.empty() && id != "MSH") return error_at("a message starts with <MSH>, not " + tag(child), child);
      if (!segments.empty() && id == "MSH")
        return error_at("a second <MSH> in one <HL7Message>; each message of a batch is its own <HL7Message>", child);
      auto segment_value = segment(child);
      if (!segment_value) return segment_value;
      segments.push_back(std::move(segment_value).value());
    }
    if (segments.empty()) return error_at(tag(node) + " holds no segments; a message starts with <MSH>", node);
    Object out;
    out.push_back("segments", Value(std::move(segments)));
    return Value(std::move(out));
  }

  // A batch or file in the order ER7 allows: [FHS] [BHS] messages [BTS] [FTS], each envelope
  // segment at most once (a file's <HL7Batch> elements hold only BHS and BTS).
  struct Batch {
    Array header;
    Array messages;
    Array trailer;
  };

  static Value batch_value(Batch batch) {
    Object out;
    out.push_back("header", Value(std::move(batch.header)));
    out.push_back("messages", Value(std::move(batch.messages)));
    out.push_back("trailer", Value(std::move(batch.trailer)));
    return Value(std::move(out));
  }

  // As in hl7::decode: one message without any envelope is just that message.
  static Value single(Batch batch) {
    if (batch.header.empty() && batch.trailer.empty() && batch.messages.size() == 1)
      return std::move(batch.messages.front());
    return batch_value(std::move(batch));
  }

  // Where a child of <HL7Batch> or <HL7File> stands in ER7's order; each envelope segment once.
  enum Slot : std::size_t { nothing, fhs, bhs, messages, bts, fts };

  // An envelope segment as the next child after `slot`. A trailer is read with its header's
  // separators, as hl7::decode reads it: BTS with the BHS's, FTS with the FHS's (either when
  // only one was given, else those of the last message).
  Expected<Value> envelope_segment(pugi::xml_node child, Slot& slot, Slot child_slot, std::string_view holds) {
    if (child_slot <= slot) return error_at(tag(child) + " out of place; " + std::string(holds), child);
    if (child_slot == bts && (batch_seps_ || file_seps_)) seps_ = batch_seps_ ? *batch_seps_ : *file_seps_;
    if (child_slot == fts && (file_seps_ || batch_seps_)) seps_ = file_seps_ ? *file_seps_ : *batch_seps_;
    slot = child_slot;
    auto s = segment(child);
    if (!s) return s;
    if (child_slot == fhs) file_seps_ = seps_;
    if (child_slot == bhs) batch_seps_ = seps_;
    return s;
  }

  Expected<Batch> batch_contents(pugi::xml_node node, bool in_file) {
    if (auto ok = no_text(node, "FHS, BHS, <HL7Message>, BTS and FTS elements"); !ok) return std::move(ok).error();
    if (auto ok = holds_elements(node); !ok) return std::move(ok).error();
    const std::string holds = in_file ? "a batch of a file holds BHS, <HL7Message> elements, BTS, in that order"
                                      : "<HL7Batch> holds FHS, BHS, <HL7Message> elements, BTS, FTS, in that order";
    if (in_file) batch_seps_.reset();
    Batch batch;
    Slot slot = nothing;
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      const std::string_view name = child.name();
      if (name == message_root) {
        if (slot > messages) return error_at("<HL7Message> after the batch trailer", child);
        slot = messages;
        auto m = message(child);
        if (!m) return std::move(m).error();
        batch.messages.push_back(std::move(m).value());
        continue;
      }
      const Slot child_slot = name == "BHS"   ? bhs
                              : name == "BTS" ? bts
                              : in_file       ? nothing
                              : name == "FHS" ? fhs
                              : name == "FTS" ? fts
                                              : nothing;
      if (child_slot == nothing) return error_at(tag(child) + " inside <HL7Batch>; " + holds, child);
      if (child_slot >= bts && batch.header.empty() && batch.messages.empty())
        return error_at(tag(child) + " without a batch header or a message before it", child);
      auto s = envelope_segment(child, slot, child_slot, holds);
      if (!s) return std::move(s).error();
      (child_slot < messages ? batch.header : batch.trailer).push_back(std::move(s).value());
    }
    if (batch.header.empty() && batch.messages.empty() && batch.trailer.empty())
      return error_at("an empty <HL7Batch>", node);
    return batch;
  }

  Expected<Value> batch(pugi::xml_node node) {
    auto contents = batch_contents(node, false);
    if (!contents) return std::move(contents).error();
    return single(std::move(contents).value());
  }

  // Several batches in one file: {"header": [FHS], "batches": [...], "trailer": [FTS]}. One batch
  // (or none) is the batch shape with the file's envelope joined to it, as hl7::decode gives it.
  Expected<Value> file(pugi::xml_node node) {
    if (auto ok = no_text(node, "FHS, <HL7Batch> and FTS elements"); !ok) return std::move(ok).error();
    if (auto ok = holds_elements(node); !ok) return std::move(ok).error();
    Array header;
    std::vector<Batch> batches;
    Array trailer;
    const std::string holds = "<HL7File> holds FHS, <HL7Batch> elements, FTS, in that order";
    Slot slot = nothing;
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      const std::string_view name = child.name();
      if (name == batch_root) {
        if (slot > messages) return error_at("<HL7Batch> after the file trailer", child);
        slot = messages;
        auto b = batch_contents(child, true);
        if (!b) return std::move(b).error();
        // In ER7 a batch after another one begins at its BHS; without one they would be one batch.
        if (!batches.empty() && (b->header.empty() || batches.front().header.empty()))
          return error_at("each <HL7Batch> of a file with several begins with its BHS",
                          b->header.empty() ? child : node.child(batch_root.data()));
        batches.push_back(std::move(b).value());
        continue;
      }
      const Slot child_slot = name == "FHS" ? fhs : name == "FTS" ? fts : nothing;
      if (child_slot == nothing) return error_at(tag(child) + " inside <HL7File>; " + holds, child);
      auto s = envelope_segment(child, slot, child_slot, holds);
      if (!s) return std::move(s).error();
      (child_slot == fhs ? header : trailer).push_back(std::move(s).value());
    }
    if (batches.size() > 1) {
      Array list;
      for (Batch& b : batches) list.push_back(batch_value(std::move(b)));
      Object out;
      out.push_back("header", Value(std::move(header)));
      out.push_back("batches", Value(std::move(list)));
      out.push_back("trailer", Value(std::move(trailer)));
      return Value(std::move(out));
    }
    if (header.empty() && batches.empty() && trailer.empty()) return error_at("an empty <HL7File>", node);
    Batch joined = batches.empty() ? Batch{} : std::move(batches.front());
    for (Value& segment : joined.header) header.push_back(std::move(segment));
    joined.header = std::move(header);
    for (Value& segment : trailer) joined.trailer.push_back(std::move(segment));
    return single(std::move(joined));
  }

  Expected<Value> segment(pugi::xml_node node) {
    if (auto ok = count_segment(node); !ok) return std::move(ok).error();
    if (auto ok = no_text(node, "<" + std::string(node.name()) + ".n> elements"); !ok) return std::move(ok).error();
    if (auto ok = holds_elements(node); !ok) return std::move(ok).error();
    const std::string_view id = node.name();
    Array fields;
    pugi::xml_node child = node.first_child();
    const auto next_element = [&] {
      while (child && child.type() != pugi::node_element) child = child.next_sibling();
    };
    next_element();

    if (is_header(id)) {
      // <MSH.1> and <MSH.2> come first and are text: the separators every other field is read with.
      std::string_view parts[2];
      for (std::size_t number = 1; number <= 2; ++number, child = child.next_sibling(), next_element()) {
        std::size_t at = 0;
        if (!child || position_in(child.name(), id, at) != Naming::position || at != number)
          return error_at(tag(node) + " must begin with <" + std::string(id) + ".1> (the field separator) and <" +
                              std::string(id) + ".2> (the encoding characters)",
                          child ? child : node);
        auto nested = holds_elements(child);
        if (!nested) return std::move(nested).error();
        if (*nested) return error_at(tag(child) + " holds the separators as text, not elements", child);
        if (child.first_child() && child.first_child().next_sibling())
          return error_at(tag(child) + " holds the separators as one piece of text", child);
        parts[number - 1] = child.first_child() ? std::string_view(child.first_child().value()) : std::string_view();
        fields.emplace_back(std::string(parts[number - 1]));
        if (number == 2) {
          const std::string problem = hl7::read_separators(parts[0], parts[1], seps_);
          if (!problem.empty()) return error_at(problem, child);
        }
      }
    }

    for (; child; child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      auto number = position(child, id);
      if (!number) return std::move(number).error();
      if (*number == fields.size() && *number <= 2 && is_header(id))
        return error_at(tag(child) + " cannot repeat: it holds the separators", child);
      if (*number < fields.size())
        return error_at(tag(child) + " after <" + std::string(id) + "." + std::to_string(fields.size()) +
                            ">: fields come in order, and only consecutive elements of one field are its repetitions",
                        child);
      auto value = repetition(child);
      if (!value) return std::move(value).error();
      if (*number == fields.size()) {  // the same field again: a repetition
        if (seps_.repetition == '\0')
          return error_at(tag(child) + " repeats, but MSH-2 defines no repetition separator", child);
        Value& field = fields.back();
        if (!field.is_object()) {
          Array reps;
          reps.push_back(std::move(field));
          Object rep;
          rep.push_back("rep", Value(std::move(reps)));
          field = Value(std::move(rep));
        }
        field.as_object().find("rep")->as_array().push_back(std::move(value).value());
        continue;
      }
      if (auto ok = fill(fields, *number - fields.size() - 1, child); !ok) return std::move(ok).error();
      fields.push_back(std::move(value).value());
    }
    Object out;
    out.reserve(2);
    out.push_back("id", Value(std::string(id)));
    out.push_back("fields", Value(std::move(fields)));
    return Value(std::move(out));
  }

  // One field element: its text, or its components. A single plain component is the field's
  // text, as ER7 cannot tell "x" from a first component "x" alone.
  Expected<Value> repetition(pugi::xml_node node) {
    auto elements = holds_elements(node);
    if (!elements) return std::move(elements).error();
    if (!*elements) return leaf(node);
    auto components = children(
        node, [this](pugi::xml_node c) { return component(c); }, "components");
    if (!components) return components;
    Array& list = components->as_array();
    if (list.size() == 1 && list.front().is_string()) return std::move(list.front());
    return components;
  }

  Expected<Value> component(pugi::xml_node node) {
    auto elements = holds_elements(node);
    if (!elements) return std::move(elements).error();
    if (!*elements) return leaf(node);
    auto subcomponents = children(
        node, [this](pugi::xml_node s) { return subcomponent(s); }, "subcomponents");
    if (!subcomponents) return subcomponents;
    Array& list = subcomponents->as_array();
    if (list.size() == 1) return std::move(list.front());
    if (seps_.subcomponent == '\0')
      return error_at(tag(node) + " holds subcomponents, but MSH-2 defines no subcomponent separator", node);
    return subcomponents;
  }

  Expected<Value> subcomponent(pugi::xml_node node) {
    auto elements = holds_elements(node);
    if (!elements) return std::move(elements).error();
    if (*elements) {
      pugi::xml_node inner = node.first_child();
      while (inner.type() != pugi::node_element) inner = inner.next_sibling();
      return error_at(tag(node) + " is a subcomponent and holds text only, not " + tag(inner), inner);
    }
    return leaf(node);
  }

  // The numbered children of a field (components) or component (subcomponents), gaps filled.
  template <class Read>
  Expected<Value> children(pugi::xml_node node, Read&& read, std::string_view what) {
    const std::string_view name = node.name();
    Array items;
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      auto number = position(child, name);
      if (!number) return std::move(number).error();
      if (*number <= items.size())
        return error_at(tag(child) + " after <" + std::string(name) + "." + std::to_string(items.size()) +
                            ">: " + std::string(what) + " come in increasing order",
                        child);
      if (auto ok = fill(items, *number - items.size() - 1, child); !ok) return std::move(ok).error();
      auto value = read(child);
      if (!value) return value;
      items.push_back(std::move(value).value());
    }
    return Value(std::move(items));
  }

  const Options& options_;
  Buffer anchor_;
  std::string source_;
  hl7::Separators seps_;
  std::optional<hl7::Separators> file_seps_;   // of the FHS
  std::optional<hl7::Separators> batch_seps_;  // of the current batch's BHS
  std::size_t segments_ = 0;
  std::size_t fill_budget_ = 0;
};

}  // namespace

Expected<Value> decode(const Buffer& bytes, const Options& options) {
  if (!bytes) return make_error(ErrorKind::bad_input, "hl7v2-xml: empty document");
  if (bytes->size() > options.max_size)
    return make_error(ErrorKind::too_large, "hl7v2-xml: document of " + std::to_string(bytes->size()) +
                                                " bytes exceeds max_size of " + std::to_string(options.max_size) +
                                                " bytes");
  auto text = xml::utf8_document(*bytes, options.encoding, "hl7v2-xml");
  if (!text) return std::move(text).error();
  return Decoder(options).run(std::move(text).value());
}

}  // namespace qiao::hl7xml
