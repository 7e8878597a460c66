// Decoding: split the input into records (by line, or back-to-back by the layouts' lengths), tell
// each record's type by the discriminator or by its position, check that no field boundary cuts a
// character, then type each field.

#include <cstring>
#include <string>

#include "codecs/fixed/detail.hpp"
#include "core/text/charset.hpp"

namespace qiao::fixed {

namespace {

using detail::quoted;

Error bad(std::string message) { return make_error(ErrorKind::bad_input, "fixed: " + std::move(message)); }

std::string hex_byte(unsigned char c) {
  static constexpr char digits[] = "0123456789ABCDEF";
  return std::string("0x") + digits[c >> 4] + digits[c & 0x0F];
}

// Line breaks at the very end are not records: editors and transfer tools add them.
std::string_view without_trailing_breaks(std::string_view input, Terminator terminator) {
  while (!input.empty() && (input.back() == '\n' || (input.back() == '\r' && terminator != Terminator::lf)))
    input.remove_suffix(1);
  return input;
}

class Decoder {
 public:
  Decoder(const Buffer& buffer, const Layout& layout)
      : buffer_(buffer), layout_(layout), lines_(layout.terminator != Terminator::none) {}

  Expected<Value> run() {
    const std::string_view all = *buffer_;
    if (all.size() > layout_.max_size)
      return make_error(ErrorKind::too_large, "fixed: the input is " + std::to_string(all.size()) +
                                                  " bytes, more than max_size (" + std::to_string(layout_.max_size) +
                                                  ")");
    input_ = without_trailing_breaks(all, layout_.terminator);
    if (layout_.single) {
      ++number_;
      return decode_record(input_, 0, layout_.detail);
    }
    return lines_ ? by_lines() : back_to_back();
  }

 private:
  // "line 3", or "record 3 at offset 160" when records are back-to-back.
  std::string where(std::size_t offset) const {
    if (lines_) return "line " + std::to_string(number_);
    return "record " + std::to_string(number_) + " at offset " + std::to_string(offset);
  }

  // Where, with the record type: "line 3 record detail", "record 3 at offset 160 (detail)", or
  // "record" for a single-record layout.
  std::string where(std::size_t offset, const RecordType& type) const {
    if (layout_.single) return "record";
    if (lines_) return where(offset) + " record " + type.name;
    return where(offset) + " (" + type.name + ")";
  }

  std::string expected_types() const {
    std::string out;
    for (const RecordType* r : {layout_.header ? &*layout_.header : nullptr, &layout_.detail,
                                layout_.trailer ? &*layout_.trailer : nullptr}) {
      if (r == nullptr) continue;
      out += (out.empty() ? "" : ", ") + quoted(readable(r->match)) + " (" + r->name + ")";
    }
    return out;
  }

  std::string readable(std::string_view bytes) const {
    if (layout_.charset.empty() || detail::is_ascii(bytes)) return std::string(bytes);
    auto text = to_utf8(bytes, layout_.charset);
    return text ? std::move(*text) : std::string(bytes);
  }

  // The record type the discriminator names in `record` (at least the discriminator's bytes).
  Expected<const RecordType*> type_of(std::string_view record, std::size_t offset) const {
    const std::size_t start = layout_.discriminator_offset;
    const std::size_t length = layout_.discriminator_length;
    const std::string range = "bytes " + std::to_string(start + 1) + "-" + std::to_string(start + length);
    if (record.size() < start + length)
      return bad(where(offset) + ": " + std::to_string(record.size()) + " bytes, too short to hold the record type (" +
                 range + ")");
    const std::string_view key = record.substr(start, length);
    if (layout_.header && key == layout_.header->match) return &*layout_.header;
    if (key == layout_.detail.match) return &layout_.detail;
    if (layout_.trailer && key == layout_.trailer->match) return &*layout_.trailer;
    return bad(where(offset) + ": unknown record type " + quoted(readable(key)) + " (" + range + "; expected " +
               expected_types() + ")");
  }

  Status count_record(std::size_t offset) {
    if (number_ > layout_.max_records)
      return make_error(ErrorKind::too_large, "fixed: " + where(offset) + ": more than " +
                                                  std::to_string(layout_.max_records) + " records (max_records)");
    return Ok{};
  }

  // Keeps header first, trailer last, each at most once; adds the decoded record to the result.
  Status place(const RecordType& type, Value record, std::size_t offset) {
    if (after_trailer_) return bad(where(offset) + ": a record after the trailer");
    if (layout_.header && &type == &*layout_.header) {
      if (number_ != 1) return bad(where(offset) + ": a header record after the first record");
      header_ = std::move(record);
      return Ok{};
    }
    if (number_ == 1 && layout_.header)
      return bad(where(offset) + ": expected the header record (" + quoted(readable(layout_.header->match)) +
                 ") first, found the " + type.name + " record");
    if (layout_.trailer && &type == &*layout_.trailer) {
      trailer_ = std::move(record);
      after_trailer_ = true;
      return Ok{};
    }
    details_.push_back(std::move(record));
    return Ok{};
  }

  Expected<Value> finish() {
    if (layout_.header && header_.is_null()) return bad("the input is empty; expected the header record");
    if (layout_.trailer && !after_trailer_)
      return bad(
          "the input ends without the trailer record" +
          (layout_.trailer->match.empty() ? std::string() : " (" + quoted(readable(layout_.trailer->match)) + ")"));
    Object out;
    out.reserve(3);
    if (layout_.header) out.push_back("header", std::move(header_));
    out.push_back("details", Value(std::move(details_)));
    if (layout_.trailer) out.push_back("trailer", std::move(trailer_));
    return Value(std::move(out));
  }

  Expected<Value> by_lines() {
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos < input_.size();) {
      const void* found = std::memchr(input_.data() + pos, '\n', input_.size() - pos);
      const std::size_t end =
          found ? static_cast<std::size_t>(static_cast<const char*>(found) - input_.data()) : input_.size();
      lines.push_back(input_.substr(pos, end - pos));
      pos = end + 1;
    }
    // Without a discriminator the position decides: first the header, last the trailer.
    const bool positional = layout_.discriminator_length == 0;
    const std::size_t fixed_records = (layout_.header ? 1 : 0) + (layout_.trailer ? 1 : 0);
    if (positional && lines.size() < fixed_records)
      return bad("the input has " + std::to_string(lines.size()) + " record" + (lines.size() == 1 ? "" : "s") +
                 "; the layout needs a header and a trailer");
    if (positional && lines.empty() && layout_.header) return bad("the input is empty; expected the header record");
    details_.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      number_ = i + 1;
      std::string_view line = lines[i];
      const std::size_t offset = static_cast<std::size_t>(line.data() - input_.data());
      if (auto counted = count_record(offset); !counted) return std::move(counted).error();
      if (layout_.terminator != Terminator::lf && !line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      } else if (layout_.terminator == Terminator::crlf && i + 1 < lines.size()) {
        return bad(where(offset) + ": ends with LF alone (terminator: crlf)");
      }
      if (line.empty()) return bad(where(offset) + ": empty line");
      const RecordType* type = nullptr;
      if (positional) {
        type = i == 0 && layout_.header                   ? &*layout_.header
               : i + 1 == lines.size() && layout_.trailer ? &*layout_.trailer
                                                          : &layout_.detail;
      } else {
        auto found = type_of(line, offset);
        if (!found) return std::move(found).error();
        type = *found;
      }
      auto record = decode_record(line, offset, *type);
      if (!record) return std::move(record).error();
      if (auto placed = place(*type, std::move(*record), offset); !placed) return std::move(placed).error();
    }
    return finish();
  }

  Expected<Value> back_to_back() {
    const bool positional = layout_.discriminator_length == 0;
    std::size_t pos = 0;
    std::size_t end = input_.size();
    if (positional) {
      const std::size_t fixed_bytes =
          (layout_.header ? layout_.header->length : 0) + (layout_.trailer ? layout_.trailer->length : 0);
      if (end < fixed_bytes || (end - fixed_bytes) % layout_.detail.length != 0)
        return bad(
            "the input is " + std::to_string(end) + " bytes, which is not " +
            (layout_.header ? "a header (" + std::to_string(layout_.header->length) + " bytes), " : std::string()) +
            "whole details (" + std::to_string(layout_.detail.length) + " bytes each)" +
            (layout_.trailer ? " and a trailer (" + std::to_string(layout_.trailer->length) + " bytes)"
                             : std::string()));
    }
    while (pos < end) {
      ++number_;
      if (auto counted = count_record(pos); !counted) return std::move(counted).error();
      const RecordType* type = nullptr;
      if (positional) {
        type = number_ == 1 && layout_.header                            ? &*layout_.header
               : layout_.trailer && end - pos == layout_.trailer->length ? &*layout_.trailer
                                                                         : &layout_.detail;
      } else {
        auto found = type_of(input_.substr(pos), pos);
        if (!found) return std::move(found).error();
        type = *found;
      }
      if (end - pos < type->length)
        return bad(where(pos, *type) + ": " + std::to_string(end - pos) + " bytes left, expected " +
                   std::to_string(type->length));
      auto record = decode_record(input_.substr(pos, type->length), pos, *type);
      if (!record) return std::move(record).error();
      if (auto placed = place(*type, std::move(*record), pos); !placed) return std::move(placed).error();
      pos += type->length;
    }
    return finish();
  }

  // No field may end inside a multi-byte character; invalid bytes are reported here too, with
  // the field they are in. Messages are built only on the error path: this runs per character.
  Status check_characters(std::string_view record, std::size_t offset, const RecordType& type) const {
    std::size_t pos = 0;
    for (const Field& field : type.fields) {
      const std::size_t end = field.offset + field.length;
      while (pos < end) {
        const std::size_t n = detail::char_length(record, pos, layout_.family);
        if (n != 0 && pos + n <= end) {
          pos += n;
          continue;
        }
        const std::string in_field = where(offset, type) + " field " + field.name + ": ";
        const std::string charset(detail::charset_label(layout_));
        if (n != 0)
          return bad(in_field + "the field ends inside a " + charset + " character at byte " + std::to_string(end) +
                     " (the character is bytes " + std::to_string(pos + 1) + "-" + std::to_string(pos + n) + ")");
        const auto c = static_cast<unsigned char>(record[pos]);
        const bool lead = layout_.family == CharsetFamily::utf8 ? c >= 0xC2 && c <= 0xF4 : c >= 0x81 && c <= 0xFE;
        if (lead && record.size() - pos < 4 && end == record.size())
          return bad(in_field + "the record ends inside a " + charset + " character at byte " +
                     std::to_string(record.size()));
        return bad(in_field + "invalid " + charset + " byte " + hex_byte(c) + " at byte " + std::to_string(pos + 1));
      }
    }
    return Ok{};
  }

  Expected<Value> decode_record(std::string_view record, std::size_t offset, const RecordType& type) const {
    if (record.size() != type.length) {
      std::string hint;
      if (layout_.terminator == Terminator::lf && !record.empty() && record.back() == '\r')
        hint = " (it ends with CR: terminator crlf?)";
      return bad(where(offset, type) + ": " + std::to_string(record.size()) + " bytes, expected " +
                 std::to_string(type.length) + hint);
    }
    // Fields never hold line breaks (encode refuses them), so neither does a record: a CR or LF
    // here is a broken line ending, or records run together.
    // One pass finds both a line break and whether any byte is beyond ASCII.
    std::size_t brk = std::string_view::npos;
    unsigned char any = 0;
    for (std::size_t i = 0; i < record.size(); ++i) {
      const auto c = static_cast<unsigned char>(record[i]);
      any |= c;
      if (c == '\r' || c == '\n') {
        brk = i;
        break;
      }
    }
    if (brk != std::string_view::npos) {
      std::size_t i = 0;
      while (i + 1 < type.fields.size() && type.fields[i].offset + type.fields[i].length <= brk) ++i;
      return bad(where(offset, type) + " field " + type.fields[i].name + ": a line break (" +
                 (record[brk] == '\r' ? "CR" : "LF") + ") at byte " + std::to_string(brk + 1));
    }
    if (layout_.family != CharsetFamily::single_byte && any >= 0x80) {
      if (auto checked = check_characters(record, offset, type); !checked) return std::move(checked).error();
    }
    Object out;
    out.reserve(type.fields.size());
    for (const Field& field : type.fields) {
      auto value = detail::decode_field(record.substr(field.offset, field.length), field, layout_, buffer_);
      if (!value)
        return bad(where(offset, type) + " field " + field.name + ": " + value.error().message + " at byte " +
                   std::to_string(field.offset + 1));
      out.push_back(field.name, std::move(*value));
    }
    return Value(std::move(out));
  }

  const Buffer& buffer_;
  const Layout& layout_;
  const bool lines_;
  std::string_view input_;
  std::size_t number_ = 0;  // the current record, 1-based (the line, when records are lines)
  Value header_;
  Array details_;
  Value trailer_;
  bool after_trailer_ = false;
};

}  // namespace

Expected<Value> decode(const Buffer& bytes, const Layout& layout) {
  if (!bytes) return bad("no input");
  return Decoder(bytes, layout).run();
}

}  // namespace qiao::fixed
