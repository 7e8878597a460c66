// ER7 bytes → Value. One pass over the (UTF-8) text: segments split at the terminator, fields at
// the field separator, then repetitions, components and subcomponents; leaves that hold no escape
// sequence and are long enough borrow from the buffer.

#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "core/text/charset.hpp"

namespace qiao::hl7 {

namespace {

constexpr std::size_t borrow_above = 15;

Error bad(std::string text) { return make_error(ErrorKind::bad_input, "hl7v2: " + std::move(text)); }

// Finds MSH-18 in the raw bytes without converting them: the header fields are ASCII in practice,
// and the charset must be known before the rest can be read (GBK trail bytes include '|' and '^').
// Read as the decoder reads the field and declared_charset() then names it: first repetition,
// component and subcomponent, separators escaped in it (\T\ for a '-' in "UTF-8") restored.
std::string sniff_charset(std::string_view raw) {
  std::size_t at = 0;
  for (;;) {
    if (raw.compare(at, 3, "MSH") == 0 && raw.size() > at + 3) break;
    const std::size_t next = raw.find_first_of("\r\n", at);
    if (next == std::string_view::npos) return {};
    at = next + 1;
  }
  const char field = raw[at + 3];
  std::size_t end = raw.find_first_of("\r\n", at);
  if (end == std::string_view::npos) end = raw.size();
  std::string_view header = raw.substr(at + 4, end - at - 4);
  std::string_view msh2 = header.substr(0, header.find(field));
  // MSH-2 is token 0 after "MSH|", so MSH-18 is token 16.
  std::size_t pos = 0;
  for (int token = 0; token < 16; ++token) {
    pos = header.find(field, pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  std::string_view msh18 = header.substr(pos);
  msh18 = msh18.substr(0, msh18.find(field));
  Separators seps;
  // Unusable separators: the decoder reports them; until then the field as written is the name.
  if (!read_separators(std::string_view(&field, 1), msh2, seps).empty()) return std::string(msh18);
  for (const char separator : {seps.repetition, seps.component, seps.subcomponent})
    if (separator != '\0') msh18 = msh18.substr(0, msh18.find(separator));
  std::string name;
  for (std::size_t i = 0; i < msh18.size();) {
    const std::size_t n = msh18[i] == seps.escape ? escape_length(msh18.substr(i), seps) : 0;
    const char separator = n > 0 ? escaped_separator(msh18.substr(i, n), seps) : '\0';
    if (separator != '\0') name += separator;
    else name.append(msh18.substr(i, n > 0 ? n : 1));
    i += n > 0 ? n : 1;
  }
  return name;
}

// How many parts `sep` splits `text` into, so that each container is allocated once, at its size.
std::size_t parts_in(std::string_view text, char sep) {
  std::size_t parts = 1;
  for (const char c : text) parts += c == sep;
  return parts;
}

bool is_batch_header(std::string_view id) { return id == "FHS" || id == "BHS"; }

// Puts the segments of an input where they belong: [FHS] ([BHS] message… [BTS])… [FTS], every
// envelope part optional, into the shapes README.md "Batches" describes.
class Envelope {
 public:
  // Returns what is wrong (the caller adds where), or empty.
  std::string add(std::string_view id, Value segment) {
    if (id == "FHS") {
      if (!file_trailer_.empty()) return "one file per input; FHS after the file trailer";
      if (seen_any_) return "FHS must be the first segment";
      file_header_.push_back(std::move(segment));
    } else if (id == "BHS") {
      if (!file_trailer_.empty()) return "BHS after the file trailer";
      if (!batches_.empty() && !batches_.back().opened) return "BHS after segments that are in no batch";
      batches_.emplace_back().opened = true;
      batches_.back().header.push_back(std::move(segment));
      current_ = nullptr;
    } else if (id == "MSH") {
      if (!file_trailer_.empty()) return "a message after the file trailer";
      if (batches_.empty()) batches_.emplace_back();
      if (batches_.back().closed) return "a message after the batch trailer";
      Array& messages = batches_.back().messages;
      messages.push_back(Value(Object{{"segments", Value(Array{})}}));
      current_ = &messages.back().as_object().find("segments")->as_array();
      current_->push_back(std::move(segment));
    } else if (id == "BTS") {
      if (!file_trailer_.empty()) return "BTS after the file trailer";
      if (batches_.empty()) batches_.emplace_back();
      if (batches_.back().closed) return "a second BTS for one batch";
      batches_.back().trailer.push_back(std::move(segment));
      batches_.back().closed = true;
      current_ = nullptr;
    } else if (id == "FTS") {
      if (!file_trailer_.empty()) return "a second FTS";
      file_trailer_.push_back(std::move(segment));
      current_ = nullptr;
    } else {
      if (current_ == nullptr) return "segment outside a message (no MSH before it)";
      current_->push_back(std::move(segment));
    }
    seen_any_ = true;
    return {};
  }

  Value finish() && {
    if (batches_.size() > 1) {
      Array batches;
      for (Batch& batch : batches_) batches.push_back(batch.to_value());
      Object file;
      file.push_back("header", Value(std::move(file_header_)));
      file.push_back("batches", Value(std::move(batches)));
      file.push_back("trailer", Value(std::move(file_trailer_)));
      return Value(std::move(file));
    }
    Batch only = batches_.empty() ? Batch{} : std::move(batches_.front());
    if (file_header_.empty() && file_trailer_.empty() && only.header.empty() && only.trailer.empty() &&
        only.messages.size() == 1)
      return std::move(only.messages.front());
    for (Value& segment : only.header) file_header_.push_back(std::move(segment));
    only.header = std::move(file_header_);
    for (Value& segment : file_trailer_) only.trailer.push_back(std::move(segment));
    return only.to_value();
  }

 private:
  struct Batch {
    Array header;
    Array messages;
    Array trailer;
    bool opened = false;  // by a BHS
    bool closed = false;  // by a BTS

    Value to_value() {
      Object batch;
      batch.push_back("header", Value(std::move(header)));
      batch.push_back("messages", Value(std::move(messages)));
      batch.push_back("trailer", Value(std::move(trailer)));
      return Value(std::move(batch));
    }
  };

  Array file_header_;
  std::vector<Batch> batches_;
  Array file_trailer_;
  Array* current_ = nullptr;  // segments of the message being read
  bool seen_any_ = false;
};

class Decoder {
 public:
  // `charset` is what the text was converted from ("" when it is the input itself).
  Decoder(std::string_view text, Buffer anchor, std::string_view charset, const Options& options)
      : text_(text), anchor_(std::move(anchor)), charset_(charset), options_(options) {}

  Expected<Value> run() {
    Envelope envelope;
    // A trailer is written with its header's separators: BTS with the BHS's, FTS with the FHS's.
    std::optional<Separators> file_seps;
    std::optional<Separators> batch_seps;

    std::size_t pos = 0;
    while (pos < text_.size()) {
      std::size_t end = pos;
      while (end < text_.size() && text_[end] != '\r' && text_[end] != '\n' && text_[end] != '\0') ++end;
      std::size_t next = end;
      if (end < text_.size()) {
        const char c = text_[end];
        if (c == '\0' || (c == '\n' && !options_.any_line_ending)) {
          // Name the segment the byte belongs to: an LF right after a CR ends the previous one.
          std::string where;
          if (end == pos && segment_no_ > 0) {
            where = where_segment(segment_no_);
          } else {
            (void)check_id(text_.substr(pos, end - pos), pos);
            const std::size_t number = segment_no_ + 1;
            where = "segment " + std::to_string(number) + (id_.empty() ? "" : " (" + id_ + ")") + ": ";
          }
          if (c == '\0') return bad(where + "NUL byte at byte " + byte_offset(end));
          return bad(where + "LF at byte " + byte_offset(end) +
                     ": segments end with CR (hl7v2:line_endings=any accepts LF and CRLF)");
        }
        next = end + 1;
        if (c == '\r' && options_.any_line_ending && next < text_.size() && text_[next] == '\n') ++next;
      }
      if (end > pos) {
        ++segment_no_;
        if (segment_no_ > options_.max_segments)
          return make_error(ErrorKind::too_large, "hl7v2: more than " + std::to_string(options_.max_segments) +
                                                      " segments (max_segments) at byte " + byte_offset(pos));
        std::string_view line = text_.substr(pos, end - pos);
        auto id_ok = check_id(line, pos);
        if (!id_ok) return std::move(id_ok).error();
        const std::string_view id = line.substr(0, 3);
        const bool opens = id == "MSH" || is_batch_header(id);
        if (segment_no_ == 1 && !opens)
          return bad("segment 1 (" + std::string(id) +
                     "): a message starts with MSH (a batch with FHS or BHS), at byte " + byte_offset(pos));
        if (opens) {
          auto seps = header_separators(line, pos);
          if (!seps) return std::move(seps).error();
          use_separators(*seps);
          if (id == "FHS") file_seps = seps_;
          if (id == "BHS") batch_seps = seps_;
        } else if (id == "BTS" && (batch_seps || file_seps)) {
          use_separators(batch_seps ? *batch_seps : *file_seps);
        } else if (id == "FTS" && (file_seps || batch_seps)) {
          use_separators(file_seps ? *file_seps : *batch_seps);
        }
        auto segment = parse_segment(line, pos);
        if (!segment) return std::move(segment).error();
        if (const std::string problem = envelope.add(id, std::move(*segment)); !problem.empty())
          return bad(where_segment(segment_no_) + problem + ", at byte " + byte_offset(pos));
      }
      pos = next;
    }
    if (segment_no_ == 0) return bad("empty message");
    return std::move(envelope).finish();
  }

 private:
  // Offsets are reported in the bytes the sender wrote, not in the UTF-8 text they became.
  std::string byte_offset(std::size_t in_text) const {
    if (charset_.empty()) return std::to_string(in_text);
    auto original = from_utf8(text_.substr(0, in_text), charset_);
    return std::to_string(original ? original->size() : in_text);
  }

  std::string where_segment(std::size_t number) const {
    std::string s = "segment " + std::to_string(number);
    if (!id_.empty()) s += " (" + id_ + ")";
    return s + ": ";
  }
  std::string where_field(std::size_t field) const {
    return "segment " + std::to_string(segment_no_) + " (" + id_ + ") field " + std::to_string(field) + ": ";
  }

  Status check_id(std::string_view line, std::size_t pos) {
    id_.clear();
    if (line.size() < 3 || !valid_segment_id(line.substr(0, 3))) {
      std::string shown;
      for (char c : line.substr(0, 3)) shown += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
      return bad("segment " + std::to_string(segment_no_) + ": invalid segment id '" + shown + "' at byte " +
                 byte_offset(pos));
    }
    id_ = std::string(line.substr(0, 3));
    return Ok{};
  }

  Expected<Separators> header_separators(std::string_view line, std::size_t pos) {
    if (line.size() < 5)
      return bad(where_segment(segment_no_) + "MSH-1 and MSH-2 (the separators) are missing at byte " +
                 byte_offset(pos + line.size()));
    const std::string_view msh1 = line.substr(3, 1);
    std::string_view msh2 = line.substr(4);
    msh2 = msh2.substr(0, msh2.find(line[3]));
    Separators seps;
    const std::string problem = read_separators(msh1, msh2, seps);
    if (!problem.empty()) return bad(where_segment(segment_no_) + problem + " at byte " + byte_offset(pos + 3));
    return seps;
  }

  Expected<Value> parse_segment(std::string_view line, std::size_t pos) {
    Array fields;
    std::size_t at = 3;  // just past the id
    std::size_t number = 1;
    if (id_ == "MSH" || is_batch_header(id_)) {
      std::size_t end = line.find(seps_.field, 4);
      if (end == std::string_view::npos) end = line.size();
      fields.reserve(1 + parts_in(line.substr(end), seps_.field));  // MSH-1, MSH-2, then one per separator
      fields.emplace_back(std::string(1, seps_.field));
      fields.emplace_back(std::string(line.substr(4, end - 4)));
      at = end;
      number = 3;
    } else if (line.size() > 3 && line[3] != seps_.field) {
      return bad(where_segment(segment_no_) + "segment id longer than 3 characters at byte " + byte_offset(pos + 3));
    } else {
      fields.reserve(parts_in(line.substr(3), seps_.field) - 1);
    }
    while (at < line.size()) {  // line[at] is a field separator
      const std::size_t start = at + 1;
      std::size_t end = line.find(seps_.field, start);
      if (end == std::string_view::npos) end = line.size();
      const std::string_view text = line.substr(start, end - start);
      if (is_plain(text)) {
        fields.push_back(plain_leaf(text));  // most fields: no repetition, component or escape
      } else {
        auto field = parse_field(text, pos + start, number);
        if (!field) return std::move(field).error();
        fields.push_back(std::move(*field));
      }
      ++number;
      at = end;
    }
    Object segment;
    segment.reserve(2);
    segment.push_back("id", Value(id_));
    segment.push_back("fields", Value(std::move(fields)));
    return Value(std::move(segment));
  }

  Expected<Value> parse_field(std::string_view text, std::size_t offset, std::size_t number) {
    if (seps_.repetition == '\0' || text.find(seps_.repetition) == std::string_view::npos)
      return parse_repetition(text, offset, number);
    Array reps;
    reps.reserve(parts_in(text, seps_.repetition));
    std::size_t start = 0;
    for (;;) {
      std::size_t end = text.find(seps_.repetition, start);
      if (end == std::string_view::npos) end = text.size();
      auto rep = parse_repetition(text.substr(start, end - start), offset + start, number);
      if (!rep) return rep;
      reps.push_back(std::move(*rep));
      if (end == text.size()) break;
      start = end + 1;
    }
    Object field;
    field.push_back("rep", Value(std::move(reps)));
    return Value(std::move(field));
  }

  Expected<Value> parse_repetition(std::string_view text, std::size_t offset, std::size_t number) {
    auto value =
        split(text, offset, number, seps_.component, [&](std::string_view part, std::size_t off) -> Expected<Value> {
          if (is_plain(part)) return plain_leaf(part);
          return split(part, off, number, seps_.subcomponent,
                       [&](std::string_view leaf, std::size_t leaf_off) { return parse_leaf(leaf, leaf_off, number); });
        });
    // One component split into subcomponents ("2&5") stays distinguishable from components.
    if (value && value->is_array() &&
        (seps_.component == '\0' || text.find(seps_.component) == std::string_view::npos)) {
      Array only;  // not Array{…}: an initializer list copies the subcomponents
      only.reserve(1);
      only.push_back(std::move(*value));
      return Value(std::move(only));
    }
    return value;
  }

  template <class Inner>
  Expected<Value> split(std::string_view text, std::size_t offset, std::size_t number, char sep, Inner&& inner) {
    (void)number;
    if (sep == '\0' || text.find(sep) == std::string_view::npos) return inner(text, offset);
    Array parts;
    parts.reserve(parts_in(text, sep));
    std::size_t start = 0;
    for (;;) {
      std::size_t end = text.find(sep, start);
      if (end == std::string_view::npos) end = text.size();
      auto part = inner(text.substr(start, end - start), offset + start);
      if (!part) return part;
      parts.push_back(std::move(*part));
      if (end == text.size()) break;
      start = end + 1;
    }
    return Value(std::move(parts));
  }

  void use_separators(const Separators& seps) {
    seps_ = seps;
    special_.fill(false);
    for (const char c : {seps.component, seps.repetition, seps.escape, seps.subcomponent})
      if (c != '\0') special_[static_cast<unsigned char>(c)] = true;
  }

  // Whether `text` holds none of the separators inside a field nor the escape character: one pass,
  // where splitting it level by level scans it once per separator.
  bool is_plain(std::string_view text) const {
    for (const char c : text)
      if (special_[static_cast<unsigned char>(c)]) return false;
    return true;
  }

  Value plain_leaf(std::string_view text) const {
    if (text.size() > borrow_above && anchor_) return Value(Text::borrow(anchor_, text));
    return Value(Text(text));
  }

  Expected<Value> parse_leaf(std::string_view text, std::size_t offset, std::size_t number) {
    const std::size_t first = seps_.escape == '\0' ? std::string_view::npos : text.find(seps_.escape);
    if (first == std::string_view::npos) return plain_leaf(text);
    std::string out(text.substr(0, first));
    std::size_t i = first;
    while (i < text.size()) {
      if (text[i] != seps_.escape) {
        out += text[i++];
        continue;
      }
      const std::size_t n = escape_length(text.substr(i), seps_);
      if (n == 0) return bad(where_field(number) + "invalid escape sequence at byte " + byte_offset(offset + i));
      if (const char separator = escaped_separator(text.substr(i, n), seps_); separator != '\0') out += separator;
      else out.append(text.substr(i, n));  // \E\, \Xhh\, \.br\, \H\ … stay as written
      i += n;
    }
    return Value(std::move(out));
  }

  std::string_view text_;
  Buffer anchor_;
  std::string_view charset_;
  const Options& options_;
  Separators seps_;
  std::array<bool, 256> special_{};  // the characters of seps_ that split or escape within a field
  std::size_t segment_no_ = 0;
  std::string id_;
};

}  // namespace

std::string read_separators(std::string_view msh1, std::string_view msh2, Separators& out) {
  const auto usable = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u < 0x7f && !std::isalnum(u);
  };
  if (msh1.size() != 1 || !usable(msh1[0]))
    return "MSH-1 (the field separator) is not a printable non-alphanumeric character";
  if (msh2.empty() || msh2.size() > 5) return "MSH-2 (the encoding characters) must hold 1 to 5 characters";
  for (std::size_t i = 0; i < msh2.size(); ++i) {
    if (!usable(msh2[i]) || msh2[i] == msh1[0] || msh2.find(msh2[i]) != i)
      return "MSH-2 (the encoding characters) must be distinct printable non-alphanumeric characters other than MSH-1";
  }
  out.field = msh1[0];
  out.component = msh2[0];
  out.repetition = msh2.size() > 1 ? msh2[1] : '\0';
  out.escape = msh2.size() > 2 ? msh2[2] : '\0';
  out.subcomponent = msh2.size() > 3 ? msh2[3] : '\0';
  return {};
}

std::size_t escape_length(std::string_view text, const Separators& seps) {
  if (text.size() < 3 || text[0] != seps.escape) return 0;
  std::size_t close = 1;
  while (close < text.size() && text[close] != seps.escape) {
    const char c = text[close];
    if (c == seps.field || c == seps.component || c == seps.repetition || c == seps.subcomponent || c == '\r' ||
        c == '\n')
      return 0;
    ++close;
  }
  if (close >= text.size() || close == 1) return 0;
  const std::string_view body = text.substr(1, close - 1);
  const auto hex = [](std::string_view s) {
    for (char c : s)
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
  };
  const auto number = [](std::string_view s) {  // optional sign, digits
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
    for (char c : s)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
  };
  bool ok = false;
  switch (body[0]) {
    case 'F':
    case 'S':
    case 'T':
    case 'R':
    case 'E':
    case 'H':
    case 'N':
    case 'P': ok = body.size() == 1; break;
    case 'X': ok = body.size() >= 3 && (body.size() - 1) % 2 == 0 && hex(body.substr(1)); break;
    case 'C': ok = body.size() == 5 && hex(body.substr(1)); break;
    case 'M': ok = (body.size() == 5 || body.size() == 7) && hex(body.substr(1)); break;
    case 'Z': ok = body.size() >= 2; break;
    case '.': {
      const std::string_view cmd = body.substr(1);
      const std::string_view name = cmd.substr(0, 2);
      if (cmd == "br" || cmd == "fi" || cmd == "nf" || cmd == "ce") ok = true;
      else if (name == "sp" || name == "in" || name == "ti" || name == "sk") ok = number(cmd.substr(2));
      break;
    }
    default: break;
  }
  return ok ? close + 1 : 0;
}

char escaped_separator(std::string_view sequence, const Separators& seps) {
  if (sequence.size() != 3) return '\0';
  switch (sequence[1]) {
    case 'F': return seps.field;
    case 'S': return seps.component;
    case 'T': return seps.subcomponent;
    case 'R': return seps.repetition;
    default: return '\0';
  }
}

Expected<Value> decode(const Buffer& bytes, const Options& options) {
  if (!bytes) return bad("empty message");
  const std::string_view raw = *bytes;
  if (raw.size() > options.max_size)
    return make_error(ErrorKind::too_large, "hl7v2: message of " + std::to_string(raw.size()) +
                                                " bytes exceeds max_size " + std::to_string(options.max_size));
  if (raw.empty()) return bad("empty message");
  const std::string from_msh = sniff_charset(raw);
  const std::string charset = from_msh.empty() ? options.charset : normalize_charset(from_msh);
  if (charset.empty()) {
    if (const std::size_t invalid = find_invalid_utf8(raw); invalid != std::string_view::npos)
      return bad("invalid UTF-8 at byte " + std::to_string(invalid) +
                 (from_msh.empty() ? "; MSH-18 is empty (hl7v2:charset=GBK reads GBK)" : ""));
    return Decoder(raw, bytes, "", options).run();
  }
  if (!charset_supported(charset))
    return bad("MSH-18 names charset '" + from_msh + "', which this system cannot convert");
  auto utf8 = to_utf8(raw, charset);
  if (!utf8)
    return bad(utf8.error().message + " (charset " + charset +
               (from_msh.empty() ? " from the codec option)" : " from MSH-18)"));
  Buffer converted = make_buffer(std::move(*utf8));
  auto value = Decoder(*converted, converted, charset, options).run();
  // MSH-18 was read before conversion; if a multi-byte character swallowed a separator in front
  // of it, the converted message names another charset and would not encode back.
  if (value && normalize_charset(declared_charset(*value)) != normalize_charset(from_msh))
    return bad("MSH-18 reads '" + from_msh + "' in the raw bytes but '" + declared_charset(*value) +
               "' after converting from " + charset + "; the header fields before MSH-18 must be ASCII");
  return value;
}

}  // namespace qiao::hl7
