// Value → ER7 bytes, the mirror of hl7_decode.cpp: separators come from each MSH (FHS/BHS for
// the batch envelope), separator characters inside text become \F\ \S\ \T\ \R\, escape sequences
// already in the text are written as they are, and a lone escape character becomes \E\.

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "core/text/charset.hpp"

namespace qiao::hl7 {

namespace {

Error flow_error(std::string text) { return make_error(ErrorKind::flow, "hl7v2: " + std::move(text)); }

std::string_view string_or_empty(const Value* v) {
  return v != nullptr && v->is_string() ? v->as_string() : std::string_view();
}

class Encoder {
 public:
  explicit Encoder(std::size_t max_segments) : max_segments_(max_segments) {}

  Status message(const Value& message, std::string_view where) {
    const Value* segments = message.is_object() ? message.find("segments") : nullptr;
    if (segments == nullptr || !segments->is_array())
      return flow_error(std::string(where) + ": a message is an object with a \"segments\" array");
    const Array& list = segments->as_array();
    if (list.empty()) return flow_error(std::string(where) + ": a message needs at least its MSH segment");
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto ok = segment(list[i], std::string(where) + ".segments[" + std::to_string(i) + "]", i == 0 ? "MSH" : "");
      if (!ok) return ok;
    }
    return Ok{};
  }

  // `must_be`: the id this position requires ("MSH" first in a message), or empty.
  Status segment(const Value& seg, const std::string& where, std::string_view must_be) {
    if (++segments_ > max_segments_)
      return flow_error("more than " + std::to_string(max_segments_) + " segments (max_segments)");
    SegmentParts parts;
    if (const std::string problem = segment_parts(seg, where, must_be, parts); !problem.empty())
      return flow_error(problem);
    const std::string_view id = parts.id;
    const Array* fields = parts.fields;
    where_ = where + " (" + std::string(id) + ")";
    out_.append(id);
    std::size_t first = 0;
    std::size_t number = 1;
    if (id == "MSH" || id == "FHS" || id == "BHS") {
      const std::string_view msh1 = fields->size() > 0 ? string_or_empty(&(*fields)[0]) : std::string_view();
      const std::string_view msh2 = fields->size() > 1 ? string_or_empty(&(*fields)[1]) : std::string_view();
      const std::string problem = read_separators(msh1, msh2, seps_);
      if (!problem.empty()) return flow_error(where_ + ": " + problem);
      if (id == "FHS") file_seps_ = seps_;
      if (id == "BHS") batch_seps_ = seps_;
      out_.append(msh1);
      out_.append(msh2);
      first = 2;
      number = 3;
    } else if (!have_seps_) {
      return flow_error(where_ + ": no MSH before this segment gives the separators");
    } else if (id == "BTS" && (batch_seps_ || file_seps_)) {  // as the decoder reads them
      seps_ = batch_seps_ ? *batch_seps_ : *file_seps_;
    } else if (id == "FTS" && (file_seps_ || batch_seps_)) {
      seps_ = file_seps_ ? *file_seps_ : *batch_seps_;
    }
    have_seps_ = true;
    for (std::size_t i = first; i < fields->size(); ++i, ++number) {
      out_ += seps_.field;
      auto ok = field((*fields)[i], number);
      if (!ok) return ok;
    }
    out_ += '\r';
    return Ok{};
  }

  std::string& out() { return out_; }

 private:
  Status field(const Value& v, std::size_t number) {
    if (v.is_object()) {
      const Value* reps = v.find("rep");
      if (reps == nullptr || !reps->is_array() || v.as_object().size() != 1)
        return bad_shape(number, "a field object holds only a \"rep\" array");
      if (seps_.repetition == '\0' && reps->as_array().size() > 1)
        return bad_shape(number, "repetitions need a repetition separator in MSH-2");
      bool first = true;
      for (const Value& rep : reps->as_array()) {
        if (!first) out_ += seps_.repetition;
        first = false;
        if (rep.is_object()) return bad_shape(number, "a repetition is a string or an array of components");
        auto ok = level(rep, number, 0);
        if (!ok) return ok;
      }
      return Ok{};
    }
    return level(v, number, 0);
  }

  // depth 0: a repetition (array = components); 1: a component (array = subcomponents); 2: leaf.
  Status level(const Value& v, std::size_t number, int depth) {
    if (v.is_array()) {
      if (depth >= 2) return bad_shape(number, "subcomponents cannot hold arrays");
      const char sep = depth == 0 ? seps_.component : seps_.subcomponent;
      if (sep == '\0' && v.as_array().size() > 1)
        return bad_shape(number, "subcomponents need a subcomponent separator in MSH-2");
      bool first = true;
      for (const Value& item : v.as_array()) {
        if (!first) out_ += sep;
        first = false;
        auto ok = level(item, number, depth + 1);
        if (!ok) return ok;
      }
      return Ok{};
    }
    switch (v.type()) {
      case Value::Type::null: return Ok{};
      case Value::Type::string: text(v.as_string()); return Ok{};
      case Value::Type::integer: out_ += std::to_string(v.as_int()); return Ok{};
      case Value::Type::decimal: text(v.as_decimal().text); return Ok{};
      case Value::Type::real: {
        std::string s = std::to_string(v.as_real());
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
        out_ += s;
        return Ok{};
      }
      default: return bad_shape(number, std::string("cannot write a ") + std::string(type_name(v.type())));
    }
  }

  void text(std::string_view s) {
    const Separators& p = seps_;
    for (std::size_t i = 0; i < s.size();) {
      const char c = s[i];
      const char* escape = nullptr;
      if (c == p.field) escape = "F";
      else if (c == p.component) escape = "S";
      else if (c == p.subcomponent && p.subcomponent != '\0') escape = "T";
      else if (c == p.repetition && p.repetition != '\0') escape = "R";
      else if (c == '\r') escape = "X0D";
      else if (c == '\n') escape = "X0A";
      else if (c == p.escape && p.escape != '\0') {
        if (const std::size_t n = escape_length(s.substr(i), p); n > 0) {
          out_.append(s.substr(i, n));
          i += n;
          continue;
        }
        escape = "E";
      }
      if (escape == nullptr) {
        out_ += c;
      } else if (p.escape == '\0') {
        out_ += ' ';  // no escape character in MSH-2: nothing better than a blank keeps the structure
      } else {
        out_ += p.escape;
        out_ += escape;
        out_ += p.escape;
      }
      ++i;
    }
  }

  Status bad_shape(std::size_t number, const std::string& what) {
    return flow_error(where_ + " field " + std::to_string(number) + ": " + what);
  }

  std::string out_;
  Separators seps_;
  // A trailer is written with its header's separators: BTS with the BHS's, FTS with the FHS's.
  std::optional<Separators> file_seps_;
  std::optional<Separators> batch_seps_;
  bool have_seps_ = false;
  std::size_t segments_ = 0;
  std::size_t max_segments_;
  std::string where_;
};

}  // namespace

bool valid_segment_id(std::string_view id) {
  if (id.size() != 3) return false;
  for (const char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::string segment_parts(const Value& seg, const std::string& where, std::string_view must_be, SegmentParts& out) {
  const Value* id_value = seg.is_object() ? seg.find("id") : nullptr;
  const Value* fields_value = seg.is_object() ? seg.find("fields") : nullptr;
  if (id_value == nullptr || !id_value->is_string())
    return where + ": a segment is an object with an \"id\" string and a \"fields\" array";
  const std::string_view id = id_value->as_string();
  if (!valid_segment_id(id)) return where + ": invalid segment id '" + std::string(id) + "'";
  if (!must_be.empty() && id != must_be)
    return where + " (" + std::string(id) + "): a message starts with " + std::string(must_be);
  static const Array no_fields;
  out.id = id;
  out.fields = &no_fields;
  if (fields_value != nullptr && fields_value->is_array()) {
    out.fields = &fields_value->as_array();
  } else if (fields_value != nullptr && !(fields_value->is_object() && fields_value->as_object().empty()) &&
             !fields_value->is_null()) {
    return where + " (" + std::string(id) + "): \"fields\" must be an array";
  }
  return {};
}

std::string declared_charset(const Value& value) {
  const Value* message = &value;
  if (const Value* batches = value.find("batches"); batches != nullptr && batches->is_array()) {
    for (const Value& batch : batches->as_array()) {
      const Value* messages = batch.find("messages");
      if (messages != nullptr && messages->is_array() && !messages->as_array().empty()) return declared_charset(batch);
    }
    return {};
  }
  if (const Value* messages = value.find("messages"); messages != nullptr && messages->is_array()) {
    if (messages->as_array().empty()) return {};
    message = &messages->as_array().front();
  }
  const Value* segments = message->find("segments");
  if (segments == nullptr || !segments->is_array() || segments->as_array().empty()) return {};
  const Value* fields = segments->as_array().front().find("fields");
  if (fields == nullptr || !fields->is_array() || fields->as_array().size() < 18) return {};
  const Value* msh18 = &fields->as_array()[17];
  if (msh18->is_object()) {
    const Value* reps = msh18->find("rep");
    if (reps == nullptr || !reps->is_array() || reps->as_array().empty()) return {};
    msh18 = &reps->as_array().front();
  }
  for (int level = 0; level < 2 && msh18->is_array(); ++level) {  // components, then subcomponents
    if (msh18->as_array().empty()) return {};
    msh18 = &msh18->as_array().front();
  }
  return msh18->is_string() ? std::string(msh18->as_string()) : std::string();
}

namespace {

// Writes the envelope segments of `list` (FHS/BHS headers or BTS/FTS trailers), each one of `ids`.
Status write_envelope(Encoder& encoder, const Value* list, const std::string& where,
                      std::initializer_list<std::string_view> ids, std::string_view holds) {
  if (list == nullptr || list->is_null()) return Ok{};
  if (!list->is_array()) return flow_error(where + ": must be an array of segments");
  for (std::size_t i = 0; i < list->as_array().size(); ++i) {
    const Value& seg = list->as_array()[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    const std::string_view id = string_or_empty(seg.find("id"));
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) return flow_error(at + ": " + std::string(holds));
    if (auto ok = encoder.segment(seg, at, ""); !ok) return ok;
  }
  return Ok{};
}

// One batch (or the single-batch file shape): header, messages, trailer.
Status write_batch(Encoder& encoder, const Value& batch, const std::string& where,
                   std::initializer_list<std::string_view> header_ids,
                   std::initializer_list<std::string_view> trailer_ids) {
  const Value* messages = batch.find("messages");
  if (messages == nullptr || !messages->is_array())
    return flow_error(where + ".messages: must be an array of messages");
  const std::string holds_header =
      header_ids.size() == 1 ? "a batch header holds a BHS segment" : "the batch header holds FHS and BHS segments";
  if (auto ok = write_envelope(encoder, batch.find("header"), where + ".header", header_ids, holds_header); !ok)
    return ok;
  for (std::size_t i = 0; i < messages->as_array().size(); ++i) {
    if (auto ok = encoder.message(messages->as_array()[i], where + ".messages[" + std::to_string(i) + "]"); !ok)
      return ok;
  }
  const std::string holds_trailer =
      trailer_ids.size() == 1 ? "a batch trailer holds a BTS segment" : "the batch trailer holds BTS and FTS segments";
  return write_envelope(encoder, batch.find("trailer"), where + ".trailer", trailer_ids, holds_trailer);
}

}  // namespace

Expected<std::string> encode(const Value& value, const Options& options) {
  Encoder encoder(options.max_segments);
  if (const Value* batches = value.find("batches"); batches != nullptr) {
    if (!batches->is_array()) return flow_error("$.batches: must be an array of batches");
    if (auto ok =
            write_envelope(encoder, value.find("header"), "$.header", {"FHS"}, "the file header holds an FHS segment");
        !ok)
      return std::move(ok).error();
    for (std::size_t i = 0; i < batches->as_array().size(); ++i) {
      auto ok = write_batch(encoder, batches->as_array()[i], "$.batches[" + std::to_string(i) + "]", {"BHS"}, {"BTS"});
      if (!ok) return std::move(ok).error();
    }
    if (auto ok = write_envelope(encoder, value.find("trailer"), "$.trailer", {"FTS"},
                                 "the file trailer holds an FTS segment");
        !ok)
      return std::move(ok).error();
  } else if (value.find("messages") != nullptr) {
    if (auto ok = write_batch(encoder, value, "$", {"FHS", "BHS"}, {"BTS", "FTS"}); !ok) return std::move(ok).error();
  } else {
    auto ok = encoder.message(value, "$");
    if (!ok) return std::move(ok).error();
  }
  std::string& out = encoder.out();
  if (out.size() > options.max_size)
    return make_error(ErrorKind::too_large, "hl7v2: encoded message of " + std::to_string(out.size()) +
                                                " bytes exceeds max_size " + std::to_string(options.max_size));
  const std::string named = declared_charset(value);
  const std::string charset = named.empty() ? options.charset : normalize_charset(named);
  if (charset.empty()) {
    if (const std::size_t invalid = find_invalid_utf8(out); invalid != std::string::npos)
      return flow_error("invalid UTF-8 in the message text at byte " + std::to_string(invalid));
    return std::move(out);
  }
  if (!charset_supported(charset))
    return flow_error("MSH-18 names charset '" + named + "', which this system cannot convert");
  auto converted = from_utf8(out, charset);
  if (!converted) return flow_error(converted.error().message + " (charset " + charset + ")");
  return std::move(*converted);
}

}  // namespace qiao::hl7
