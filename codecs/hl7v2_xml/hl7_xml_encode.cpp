// Value → XML, written directly (no DOM) in the form Mirth Connect's ER7 reader produces: a
// non-empty field always holds <F.1> even without components, an empty one is <F/>, a component
// holds its text or its subcomponents, repetitions are consecutive field elements. The checks
// mirror hl7::encode, so whatever this writes, hl7v2 can write as ER7 too.

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"
#include "core/text/charset.hpp"

namespace qiao::hl7xml {

namespace {

Error flow_error(const std::string& text) { return make_error(ErrorKind::flow, "hl7v2-xml: " + text); }

bool is_header(std::string_view id) { return id == "MSH" || id == "FHS" || id == "BHS"; }

class Encoder {
 public:
  explicit Encoder(const Options& options) : options_(options) {}

  Status document(const Value& value) {
    if (options_.declaration) {
      out_ += "<?xml version=\"1.0\" encoding=\"";
      out_ += options_.encoding.empty() ? std::string_view("UTF-8") : std::string_view(options_.encoding);
      out_ += "\"?>";
    }
    if (const Value* batches = value.find("batches"); batches != nullptr) {
      if (!batches->is_array()) return flow_error("$.batches: must be an array of batches");
      open("HL7File", 0);
      if (auto ok = envelope(value.find("header"), "$.header", {"FHS"}, "the file header holds an FHS segment", 1); !ok)
        return ok;
      for (std::size_t i = 0; i < batches->as_array().size(); ++i) {
        batch_seps_.reset();
        if (auto ok = write_batch(batches->as_array()[i], "$.batches[" + std::to_string(i) + "]", {"BHS"}, {"BTS"}, 1);
            !ok)
          return ok;
      }
      if (auto ok = envelope(value.find("trailer"), "$.trailer", {"FTS"}, "the file trailer holds an FTS segment", 1);
          !ok)
        return ok;
      close("HL7File", 0);
    } else if (value.find("messages") != nullptr) {
      if (auto ok = write_batch(value, "$", {"FHS", "BHS"}, {"BTS", "FTS"}, 0); !ok) return ok;
    } else if (auto ok = message(value, "$", 0); !ok) {
      return ok;
    }
    if (options_.indent > 0) out_ += '\n';
    return Ok{};
  }

  std::string& out() { return out_; }

 private:
  // <HL7Batch>: header, messages, trailer. `where` is "$" for the batch shape, "$.batches[i]" in a file.
  Status write_batch(const Value& batch, const std::string& where, std::initializer_list<std::string_view> header_ids,
                     std::initializer_list<std::string_view> trailer_ids, std::size_t depth) {
    const Value* messages = batch.find("messages");
    if (messages == nullptr || !messages->is_array())
      return flow_error(where + ".messages: must be an array of messages");
    const bool in_file = header_ids.size() == 1;
    open("HL7Batch", depth);
    if (auto ok = envelope(
            batch.find("header"), where + ".header", header_ids,
            in_file ? "a batch header holds a BHS segment" : "the batch header holds FHS and BHS segments", depth + 1);
        !ok)
      return ok;
    for (std::size_t i = 0; i < messages->as_array().size(); ++i)
      if (auto ok = message(messages->as_array()[i], where + ".messages[" + std::to_string(i) + "]", depth + 1); !ok)
        return ok;
    if (auto ok =
            envelope(batch.find("trailer"), where + ".trailer", trailer_ids,
                     in_file ? "a batch trailer holds a BTS segment" : "the batch trailer holds BTS and FTS segments",
                     depth + 1);
        !ok)
      return ok;
    close("HL7Batch", depth);
    return Ok{};
  }

  // Header (FHS, BHS) or trailer (BTS, FTS) segments, each one of `ids`. A trailer takes its
  // header's separators as hl7v2 does: BTS the BHS's, FTS the FHS's.
  Status envelope(const Value* segments, const std::string& where, std::initializer_list<std::string_view> ids,
                  std::string_view holds, std::size_t depth) {
    if (segments == nullptr || segments->is_null()) return Ok{};
    if (!segments->is_array()) return flow_error(where + ": must be an array of segments");
    for (std::size_t i = 0; i < segments->as_array().size(); ++i) {
      const Value& seg = segments->as_array()[i];
      const std::string at = where + "[" + std::to_string(i) + "]";
      const Value* id = seg.find("id");
      const std::string_view name = id != nullptr && id->is_string() ? id->as_string() : std::string_view();
      if (std::find(ids.begin(), ids.end(), name) == ids.end()) return flow_error(at + ": " + std::string(holds));
      if (name == "BTS" && (batch_seps_ || file_seps_)) seps_ = batch_seps_ ? *batch_seps_ : *file_seps_;
      if (name == "FTS" && (file_seps_ || batch_seps_)) seps_ = file_seps_ ? *file_seps_ : *batch_seps_;
      if (auto ok = segment(seg, at, "", depth); !ok) return ok;
      if (name == "FHS") file_seps_ = seps_;
      if (name == "BHS") batch_seps_ = seps_;
    }
    return Ok{};
  }

  Status message(const Value& message, const std::string& where, std::size_t depth) {
    const Value* segments = message.is_object() ? message.find("segments") : nullptr;
    if (segments == nullptr || !segments->is_array())
      return flow_error(where + ": a message is an object with a \"segments\" array");
    const Array& list = segments->as_array();
    if (list.empty()) return flow_error(where + ": a message needs at least its MSH segment");
    open("HL7Message", depth);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = where + ".segments[" + std::to_string(i) + "]";
      if (i > 0) {  // what the decoder refuses inside <HL7Message>, refused here already
        const Value* id = list[i].find("id");
        const std::string_view name = id != nullptr && id->is_string() ? id->as_string() : std::string_view();
        if (name == "MSH") return flow_error(at + " (MSH): a second MSH in one message; a batch lists its messages");
        if (name == "FHS" || name == "BHS" || name == "BTS" || name == "FTS")
          return flow_error(at + " (" + std::string(name) +
                            "): batch header and trailer segments belong in the "
                            "batch's \"header\" and \"trailer\"");
      }
      if (auto ok = segment(list[i], at, i == 0 ? "MSH" : "", depth + 1); !ok) return ok;
    }
    close("HL7Message", depth);
    return Ok{};
  }

  // `must_be`: the id this position requires (MSH first in a message), or empty.
  Status segment(const Value& seg, const std::string& where, std::string_view must_be, std::size_t depth) {
    if (++segments_ > options_.max_segments)
      return make_error(ErrorKind::too_large,
                        "hl7v2-xml: more than " + std::to_string(options_.max_segments) + " segments (max_segments)");
    hl7::SegmentParts parts;
    if (const std::string problem = hl7::segment_parts(seg, where, must_be, parts); !problem.empty())
      return flow_error(problem);
    const std::string_view id = parts.id;
    const Array* fields = parts.fields;
    where_ = where + " (" + std::string(id) + ")";

    const bool header = is_header(id);
    std::string_view separators[2];
    if (header) {
      for (std::size_t i = 0; i < 2; ++i)
        if (fields->size() > i && (*fields)[i].is_string()) separators[i] = (*fields)[i].as_string();
      const std::string problem = hl7::read_separators(separators[0], separators[1], seps_);
      if (!problem.empty()) return flow_error(where_ + ": " + problem);
    } else if (!have_seps_) {
      return flow_error(where_ + ": no MSH before this segment gives the separators");
    }
    have_seps_ = true;

    name_.assign(id);
    if (fields->empty()) {
      empty(depth);
      return Ok{};
    }
    open(name_, depth);
    std::size_t first = 0;
    if (header) {
      for (std::size_t number = 1; number <= 2; ++number) {
        name_.resize(3);
        name_ += '.';
        name_ += static_cast<char>('0' + number);
        leaf(separators[number - 1], depth + 1);
      }
      first = 2;
    }
    for (std::size_t i = first; i < fields->size(); ++i) {
      name_.resize(3);
      name_ += '.';
      name_ += std::to_string(i + 1);
      if (auto ok = field((*fields)[i], i + 1, depth + 1); !ok) return ok;
    }
    name_.assign(id);
    close(name_, depth);
    return Ok{};
  }

  // name_ is the field's element name ("PID.5") on entry and on return.
  Status field(const Value& v, std::size_t number, std::size_t depth) {
    if (!v.is_object()) return repetition(v, number, depth);
    const Value* reps = v.find("rep");
    if (reps == nullptr || !reps->is_array() || v.as_object().size() != 1)
      return bad_shape(number, "a field object holds only a \"rep\" array");
    const Array& list = reps->as_array();
    if (seps_.repetition == '\0' && list.size() > 1)
      return bad_shape(number, "repetitions need a repetition separator in MSH-2");
    if (list.empty()) {
      empty(depth);
      return Ok{};
    }
    for (const Value& rep : list) {
      if (rep.is_object()) return bad_shape(number, "a repetition is a string or an array of components");
      if (auto ok = repetition(rep, number, depth); !ok) return ok;
    }
    return Ok{};
  }

  Status repetition(const Value& v, std::size_t number, std::size_t depth) {
    if (!v.is_array()) {
      auto text = scalar_text(v, number);
      if (!text) return std::move(text).error();
      if (text->empty()) {
        empty(depth);
        return Ok{};
      }
      // Mirth writes a field without components as its first component: <PID.1><PID.1.1>1</PID.1.1></PID.1>.
      open(name_, depth);
      const std::size_t base = name_.size();
      name_ += ".1";
      if (auto ok = write_leaf(*text, number, depth + 1); !ok) return ok;
      name_.resize(base);
      close(name_, depth);
      return Ok{};
    }
    const Array& components = v.as_array();
    if (components.empty()) {
      empty(depth);
      return Ok{};
    }
    open(name_, depth);
    const std::size_t base = name_.size();
    for (std::size_t i = 0; i < components.size(); ++i) {
      name_.resize(base);
      name_ += '.';
      name_ += std::to_string(i + 1);
      if (auto ok = component(components[i], number, depth + 1); !ok) return ok;
    }
    name_.resize(base);
    close(name_, depth);
    return Ok{};
  }

  Status component(const Value& v, std::size_t number, std::size_t depth) {
    if (!v.is_array()) {
      auto text = scalar_text(v, number);
      if (!text) return std::move(text).error();
      return write_leaf(*text, number, depth);
    }
    const Array& subcomponents = v.as_array();
    if (seps_.subcomponent == '\0' && subcomponents.size() > 1)
      return bad_shape(number, "subcomponents need a subcomponent separator in MSH-2");
    if (subcomponents.empty()) {
      empty(depth);
      return Ok{};
    }
    open(name_, depth);
    const std::size_t base = name_.size();
    for (std::size_t i = 0; i < subcomponents.size(); ++i) {
      if (subcomponents[i].is_array()) return bad_shape(number, "subcomponents cannot hold arrays");
      auto text = scalar_text(subcomponents[i], number);
      if (!text) return std::move(text).error();
      name_.resize(base);
      name_ += '.';
      name_ += std::to_string(i + 1);
      if (auto ok = write_leaf(*text, number, depth + 1); !ok) return ok;
    }
    name_.resize(base);
    close(name_, depth);
    return Ok{};
  }

  // A scalar as text, the way hl7::encode writes it; `scratch_` holds what is not a string.
  Expected<std::string_view> scalar_text(const Value& v, std::size_t number) {
    switch (v.type()) {
      case Value::Type::null: return std::string_view();
      case Value::Type::string: return v.as_string();
      case Value::Type::integer: scratch_ = std::to_string(v.as_int()); return std::string_view(scratch_);
      case Value::Type::decimal: return std::string_view(v.as_decimal().text);
      case Value::Type::real: {
        scratch_ = std::to_string(v.as_real());
        while (!scratch_.empty() && scratch_.back() == '0') scratch_.pop_back();
        if (!scratch_.empty() && scratch_.back() == '.') scratch_.pop_back();
        return std::string_view(scratch_);
      }
      default: return bad_shape(number, "cannot write a " + std::string(type_name(v.type())));
    }
  }

  Status write_leaf(std::string_view text, std::size_t number, std::size_t depth) {
    if (find_invalid_utf8(text) != std::string_view::npos) return bad_shape(number, "invalid UTF-8 in the text");
    for (const char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", u);
        return bad_shape(number, std::string("control character ") + hex + " cannot be written in XML");
      }
    }
    leaf(text, depth);
    return Ok{};
  }

  Error bad_shape(std::size_t number, const std::string& what) const {
    return flow_error(where_ + " field " + std::to_string(number) + ": " + what);
  }

  void newline(std::size_t depth) {
    if (options_.indent == 0) return;
    if (!out_.empty()) out_ += '\n';
    out_.append(depth * options_.indent, ' ');
  }

  void open(std::string_view name, std::size_t depth) {
    newline(depth);
    out_ += '<';
    out_ += name;
    out_ += '>';
  }

  void close(std::string_view name, std::size_t depth) {
    newline(depth);
    out_ += "</";
    out_ += name;
    out_ += '>';
  }

  void empty(std::size_t depth) {
    newline(depth);
    out_ += '<';
    out_ += name_;
    out_ += "/>";
  }

  // <name_>text</name_> on one line, escaped once; <name_/> when empty.
  void leaf(std::string_view text, std::size_t depth) {
    if (text.empty()) {
      empty(depth);
      return;
    }
    newline(depth);
    out_ += '<';
    out_ += name_;
    out_ += '>';
    std::size_t plain = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char* escaped = nullptr;
      switch (text[i]) {
        case '&': escaped = "&amp;"; break;
        case '<': escaped = "&lt;"; break;
        case '>': escaped = "&gt;"; break;
        case '\r': escaped = "&#13;"; break;  // a raw CR would be read back as LF
        default: continue;
      }
      out_.append(text.substr(plain, i - plain));
      out_ += escaped;
      plain = i + 1;
    }
    out_.append(text.substr(plain));
    out_ += "</";
    out_ += name_;
    out_ += '>';
  }

  const Options& options_;
  std::string out_;
  std::string name_;     // the element being written, e.g. "PID.5.1"
  std::string scratch_;  // a number's text
  std::string where_;    // "$.segments[2] (PID)"
  hl7::Separators seps_;
  std::optional<hl7::Separators> file_seps_;   // of the FHS
  std::optional<hl7::Separators> batch_seps_;  // of the current batch's BHS
  bool have_seps_ = false;
  std::size_t segments_ = 0;
};

}  // namespace

Expected<std::string> encode(const Value& value, const Options& options) {
  Encoder encoder(options);
  if (auto ok = encoder.document(value); !ok) return std::move(ok).error();
  std::string& out = encoder.out();
  if (out.size() > options.max_size)
    return make_error(ErrorKind::too_large, "hl7v2-xml: document of " + std::to_string(out.size()) +
                                                " bytes exceeds max_size of " + std::to_string(options.max_size) +
                                                " bytes");
  if (options.encoding.empty()) return std::move(out);
  auto converted = from_utf8(out, options.encoding);
  if (!converted) {
    std::string_view why = converted.error().message;
    if (why.rfind("charset: ", 0) == 0) why.remove_prefix(9);
    return flow_error(std::string(why));
  }
  return converted;
}

}  // namespace qiao::hl7xml
