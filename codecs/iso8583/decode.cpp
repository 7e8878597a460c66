// Decoding: raw headers, MTI, bitmaps, then each field the bitmap names, in one pass over the
// buffer. ASCII text longer than a small string borrows from the buffer; BCD, EBCDIC and binary
// fields are converted once into their own strings.

#include <string>

#include "codecs/iso8583/bitmap.hpp"
#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/tlv.hpp"
#include "codecs/iso8583/wire.hpp"
#include "core/text/hex.hpp"

namespace qiao::iso8583 {

namespace {

// Strings longer than this borrow from the message buffer (see Text).
constexpr std::size_t borrow_above = 15;

std::string shown(unsigned char c) {
  if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  std::string out = "0x";
  append_hex(out, std::string_view(reinterpret_cast<const char*>(&c), 1));
  return out;
}

std::string unit_name(FieldType type, std::size_t count) {
  const char* unit = type == FieldType::b ? "byte" : type == FieldType::n ? "digit" : "character";
  return std::to_string(count) + " " + unit + (count == 1 ? "" : "s");
}

std::size_t prefix_width(LengthFormat format, Encoding prefix) {
  const std::size_t digits = format == LengthFormat::ll ? 2 : format == LengthFormat::lll ? 3 : 4;
  if (prefix == Encoding::ascii || prefix == Encoding::ebcdic) return digits;
  return format == LengthFormat::ll ? 1 : 2;  // BCD and binary: one byte for LL, two beyond
}

class Decoder {
 public:
  Decoder(const Buffer& buffer, const Spec& spec, Layout* layout)
      : buffer_(buffer), data_(*buffer), spec_(spec), layout_(layout) {}

  Expected<Value> run() {
    if (data_.size() > spec_.max_size)
      return make_error(ErrorKind::too_large, "iso8583: message of " + std::to_string(data_.size()) +
                                                  " bytes is larger than max_size " + std::to_string(spec_.max_size));
    Object& out = out_;
    out.reserve(spec_.headers.size() + 24);
    out.push_back("mti", Value());  // first in the value, third on the wire after the headers
    for (const HeaderSpec& h : spec_.headers) {
      if (!need(h.length, "header " + h.name)) return error();
      std::string hex;
      append_hex(hex, data_.substr(pos_, h.length));
      out.push_back(h.name, Value(std::move(hex)));
      pos_ += h.length;
    }
    if (layout_) layout_->mti_begin = pos_;
    auto mti = read_mti();
    if (!mti) return error();
    *out.find("mti") = Value(std::move(*mti));

    Bitmap bitmap;
    if (!read_bitmap(bitmap, 0)) return error();
    if (bitmap.secondary() && !read_bitmap(bitmap, 1)) return error();
    const int last = bitmap.secondary() ? 128 : 64;
    for (int n = 2; n <= last; ++n) {
      if (!bitmap.test(n)) continue;
      if (!spec_.defines(n)) {
        fail(n > 64 ? "secondary bitmap" : "bitmap",
             "names field " + std::to_string(n) + ", which the dialect does not define", bitmap_at_[n > 64 ? 1 : 0]);
        return error();
      }
      const std::size_t begin = pos_;
      if (!field(spec_.fields[n], out)) return error();
      if (layout_) layout_->fields.push_back({n, begin, pos_});
    }
    if (pos_ != data_.size()) {
      const std::size_t extra = data_.size() - pos_;
      fail("message", std::to_string(extra) + (extra == 1 ? " byte" : " bytes") + " after the last field", pos_);
      return error();
    }
    return Value(std::move(out));
  }

  // After run() failed: the headers, the MTI and the fields read before the failure; null when
  // the MTI was not read.
  Value readable() const {
    const Value* mti = out_.find("mti");
    return mti && !mti->is_null() ? Value(out_) : Value();
  }

 private:
  Error error() { return make_error(ErrorKind::bad_input, std::move(message_)); }

  bool fail(std::string_view where, const std::string& what, std::size_t at) {
    message_ = "iso8583: " + std::string(where) + ": " + what + " at byte " + std::to_string(at);
    return false;
  }

  bool need(std::size_t n, std::string_view where) {
    if (data_.size() - pos_ >= n) return true;
    return fail(where, "needs " + std::to_string(n) + " bytes, " + std::to_string(data_.size() - pos_) + " left", pos_);
  }

  std::optional<std::string> read_mti() {
    const std::size_t width = spec_.mti == Encoding::bcd ? 2 : 4;
    if (!need(width, "mti")) return std::nullopt;
    std::string mti;
    if (spec_.mti == Encoding::bcd) {
      for (std::size_t i = 0; i < 4; ++i) {
        const int nibble = nibble_at(pos_, i);
        if (nibble > 9) {
          fail("mti", "nibble " + std::string(1, "0123456789ABCDEF"[nibble]) + " is not a digit", pos_ + i / 2);
          return std::nullopt;
        }
        mti += static_cast<char>('0' + nibble);
      }
    } else {
      for (std::size_t i = 0; i < 4; ++i) {
        int c = static_cast<unsigned char>(data_[pos_ + i]);
        if (spec_.mti == Encoding::ebcdic) c = ebcdic_to_ascii(static_cast<unsigned char>(c));
        if (c < '0' || c > '9') {
          fail("mti", shown(static_cast<unsigned char>(data_[pos_ + i])) + " is not a digit", pos_ + i);
          return std::nullopt;
        }
        mti += static_cast<char>(c);
      }
    }
    pos_ += width;
    return mti;
  }

  bool read_bitmap(Bitmap& bitmap, int index) {
    const std::size_t width = Bitmap::wire_size(spec_.bitmap);
    if (!need(width, index == 0 ? "bitmap" : "secondary bitmap")) return false;
    bitmap_at_[index] = pos_;
    if (std::size_t bad = bitmap.read(data_.substr(pos_, width), spec_.bitmap, index); bad != std::string_view::npos)
      return fail(index == 0 ? "bitmap" : "secondary bitmap",
                  shown(static_cast<unsigned char>(data_[pos_ + bad])) + " is not a hex digit", pos_ + bad);
    pos_ += width;
    return true;
  }

  // The i-th nibble counting from the high nibble of data_[at].
  int nibble_at(std::size_t at, std::size_t i) const {
    const unsigned char byte = static_cast<unsigned char>(data_[at + i / 2]);
    return i % 2 == 0 ? byte >> 4 : byte & 0x0F;
  }

  // The unit count a variable field's prefix announces.
  bool read_prefix(const FieldSpec& f, std::size_t& count) {
    const std::size_t width = prefix_width(f.format, f.prefix);
    if (!need(width, f.label)) return false;
    count = 0;
    const std::size_t at = pos_;
    switch (f.prefix) {
      case Encoding::binary:
        for (std::size_t i = 0; i < width; ++i) count = count << 8 | static_cast<unsigned char>(data_[at + i]);
        break;
      case Encoding::bcd:
        for (std::size_t i = 0; i < 2 * width; ++i) {
          const int nibble = nibble_at(at, i);
          if (nibble > 9)
            return fail(f.label,
                        "length prefix is not BCD (" + shown(static_cast<unsigned char>(data_[at + i / 2])) + ")",
                        at + i / 2);
          count = count * 10 + static_cast<std::size_t>(nibble);
        }
        break;
      default:
        for (std::size_t i = 0; i < width; ++i) {
          int c = static_cast<unsigned char>(data_[at + i]);
          if (f.prefix == Encoding::ebcdic) c = ebcdic_to_ascii(static_cast<unsigned char>(c));
          if (c < '0' || c > '9')
            return fail(f.label,
                        "length prefix " + shown(static_cast<unsigned char>(data_[at + i])) + " is not a digit",
                        at + i);
          count = count * 10 + static_cast<std::size_t>(c - '0');
        }
        break;
    }
    if (count > f.length)
      return fail(f.label, "length " + std::to_string(count) + " is more than its maximum " + std::to_string(f.length),
                  at);
    pos_ += width;
    return true;
  }

  // BCD digits (or track data) of `count` characters starting at byte `at`.
  bool unpack_bcd(const FieldSpec& f, std::size_t count, std::size_t at, std::string& out) {
    const bool odd = count % 2 != 0;
    const bool pad_left = f.pad == Pad::left || f.pad == Pad::left_f;
    const std::size_t nibbles = 2 * bcd_bytes(count);
    const bool track = f.type == FieldType::z;
    out.reserve(out.size() + count);
    for (std::size_t i = 0; i < nibbles; ++i) {
      const int nibble = nibble_at(at, i);
      const bool is_pad = odd && (pad_left ? i == 0 : i == nibbles - 1);
      if (is_pad) {
        if (nibble != 0 && nibble != 0xF)
          return fail(f.label, "pad nibble " + std::string(1, "0123456789ABCDEF"[nibble]) + " is neither 0 nor F",
                      at + i / 2);
        continue;
      }
      if (nibble <= 9) out += static_cast<char>('0' + nibble);
      else if (track && nibble == 0xD) out += '=';
      else return fail(f.label, "nibble " + std::string(1, "0123456789ABCDEF"[nibble]) + " is not a digit", at + i / 2);
    }
    return true;
  }

  // Checks characters already in ASCII; `at` maps an index back to its byte for errors.
  bool check_text(const FieldSpec& f, std::string_view text, std::size_t at, std::size_t step) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      bool ok = admits(f.type, c);
      if (f.type == FieldType::xn) ok = i == 0 ? (c == 'C' || c == 'D') : (c >= '0' && c <= '9');
      if (!ok) {
        const std::string what = f.type == FieldType::n || (f.type == FieldType::xn && i > 0) ? " is not a digit"
                                 : f.type == FieldType::xn
                                     ? " is not a sign (C or D)"
                                     : " is not allowed in type " + std::string(type_name(f.type));
        return fail(f.label, shown(c) + what, at + i * step);
      }
    }
    return true;
  }

  bool field(const FieldSpec& f, Object& out) {
    std::size_t count = f.length;
    if (f.format != LengthFormat::fixed && !read_prefix(f, count)) return false;
    std::size_t wire = count;
    if (f.data == Encoding::hex) wire = 2 * count;
    else if (f.data == Encoding::bcd)
      wire = f.type == FieldType::xn && count > 0 ? 1 + bcd_bytes(count - 1) : bcd_bytes(count);
    if (data_.size() - pos_ < wire)
      return fail(f.label,
                  "needs " + std::to_string(wire) + " bytes (" + unit_name(f.type, count) + "), " +
                      std::to_string(data_.size() - pos_) + " left",
                  pos_);
    const std::size_t at = pos_;
    const std::string_view raw = data_.substr(at, wire);
    pos_ += wire;

    if (f.type == FieldType::b) {
      std::string bytes_holder;
      std::string_view bytes = raw;
      if (f.data == Encoding::hex) {
        if (std::size_t bad = first_non_hex(raw); bad != std::string_view::npos)
          return fail(f.label, shown(static_cast<unsigned char>(raw[bad])) + " is not a hex digit", at + bad);
        bytes_holder = *from_hex(raw, f.label);
        bytes = bytes_holder;
      }
      if (f.composite == Composite::tlv) {
        Object tags;
        std::string problem;
        std::size_t offset = 0;
        if (!parse_tlv(bytes, tags, problem, offset))
          return fail(f.label, problem, at + (f.data == Encoding::hex ? 2 * offset : offset));
        out.push_back(f.key, Value(std::move(tags)));
        return true;
      }
      std::string hex;
      append_hex(hex, bytes);
      out.push_back(f.key, Value(std::move(hex)));
      return true;
    }

    std::string text;
    std::string_view view;
    bool borrowable = false;
    switch (f.data) {
      case Encoding::bcd:
        if (f.type == FieldType::xn && count > 0) {
          text += raw[0];
          if (!check_text(f, std::string_view(text).substr(0, 1), at, 1)) return false;
          if (!unpack_bcd(f, count - 1, at + 1, text)) return false;
        } else if (!unpack_bcd(f, count, at, text)) {
          return false;
        }
        view = text;
        break;
      case Encoding::ebcdic:
        text.resize(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
          const int c = ebcdic_to_ascii(static_cast<unsigned char>(raw[i]));
          if (c < 0)
            return fail(f.label, shown(static_cast<unsigned char>(raw[i])) + " is not a printable EBCDIC character",
                        at + i);
          text[i] = static_cast<char>(c);
        }
        if (!check_text(f, text, at, 1)) return false;
        view = text;
        break;
      default:
        if (!check_text(f, raw, at, 1)) return false;
        view = raw;
        borrowable = true;
        break;
    }

    if (f.composite == Composite::positional) return split(f, view, at, out);
    if (borrowable && view.size() > borrow_above) out.push_back(f.key, Value(Text::borrow(buffer_, view)));
    else if (borrowable) out.push_back(f.key, Value(view));
    else out.push_back(f.key, Value(std::move(text)));
    return true;
  }

  // A positional composite: consecutive parts of fixed lengths; trailing parts may be absent.
  bool split(const FieldSpec& f, std::string_view text, std::size_t at, Object& out) {
    Object parts;
    std::size_t offset = 0;
    for (const Subfield& sub : f.subfields) {
      if (offset == text.size()) break;
      if (text.size() - offset < sub.length)
        return fail(
            sub.label,
            "has " + std::to_string(text.size() - offset) + " of its " + std::to_string(sub.length) + " characters",
            at);
      const std::string_view part = text.substr(offset, sub.length);
      for (unsigned char c : part)
        if (!admits(sub.type, c))
          return fail(sub.label, shown(c) + " is not allowed in type " + std::string(type_name(sub.type)), at);
      parts.push_back(sub.key, Value(part));
      offset += sub.length;
    }
    if (offset != text.size())
      return fail(f.label, std::to_string(text.size() - offset) + " characters after its last subfield", at);
    out.push_back(f.key, Value(std::move(parts)));
    return true;
  }

  const Buffer& buffer_;
  std::string_view data_;
  const Spec& spec_;
  Layout* layout_;
  std::size_t pos_ = 0;
  std::size_t bitmap_at_[2] = {0, 0};
  std::string message_;
  Object out_;
};

}  // namespace

Expected<Value> decode(const Buffer& bytes, const Spec& spec, Layout* layout) {
  if (!bytes) return make_error(ErrorKind::bad_input, "iso8583: no message");
  return Decoder(bytes, spec, layout).run();
}

Value readable_part(const Buffer& bytes, const Spec& spec) {
  if (!bytes) return Value();
  Decoder decoder(bytes, spec, nullptr);
  auto decoded = decoder.run();
  if (decoded) return std::move(*decoded);
  return decoder.readable();
}

}  // namespace qiao::iso8583
