// Encoding: the value's keys are sorted into headers, MTI and fields (by number, whatever order
// they came in — a Lua table has none), the bitmap is rebuilt from the fields present, and each
// field is checked against its definition before it is written.

#include <array>
#include <charconv>
#include <cstdio>
#include <string>

#include "codecs/iso8583/bitmap.hpp"
#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/tlv.hpp"
#include "codecs/iso8583/wire.hpp"
#include "core/text/hex.hpp"

namespace qiao::iso8583 {

namespace {

Error refuse(std::string_view where, const std::string& what) {
  return make_error(ErrorKind::flow, "iso8583: " + std::string(where) + ": " + what);
}

std::string quoted(std::string_view text) {
  if (text.size() > 40) return "'" + std::string(text.substr(0, 37)) + "…'";
  return "'" + std::string(text) + "'";
}

// A field number from a key: "4", or "004" as some JSON writers put it; 0 otherwise.
int field_number(std::string_view key) {
  if (key.empty() || key.size() > 3) return 0;
  int n = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), n);
  return ec == std::errc() && end == key.data() + key.size() ? n : 0;
}

// The text a scalar stands for: strings as they are, non-negative integers in decimal.
bool scalar_text(const Value& value, std::string& text) {
  if (value.is_string()) {
    text.assign(value.as_string());
    return true;
  }
  if (value.is_int() && value.as_int() >= 0) {
    text = std::to_string(value.as_int());
    return true;
  }
  return false;
}

std::string_view units(FieldType type) {
  return type == FieldType::b ? "bytes" : type == FieldType::n ? "digits" : "characters";
}

// Brings a short fixed value to `length` as `fill` says; false when it cannot.
bool fill_to(std::string& text, std::size_t length, Fill fill) {
  if (text.size() >= length) return text.size() == length;
  const std::size_t missing = length - text.size();
  switch (fill) {
    case Fill::left_zeros: text.insert(0, missing, '0'); return true;
    case Fill::left_spaces: text.insert(0, missing, ' '); return true;
    case Fill::right_zeros: text.append(missing, '0'); return true;
    case Fill::right_spaces: text.append(missing, ' '); return true;
    case Fill::none: return false;
  }
  return false;
}

void write_prefix(const FieldSpec& f, std::size_t count, std::string& out) {
  const int digits = f.format == LengthFormat::ll ? 2 : f.format == LengthFormat::lll ? 3 : 4;
  switch (f.prefix) {
    case Encoding::binary:
      if (f.format != LengthFormat::ll) out += static_cast<char>(count >> 8);
      out += static_cast<char>(count & 0xFF);
      return;
    case Encoding::bcd: {
      char text[5];
      std::snprintf(text, sizeof text, "%04zu", count);
      pack_bcd(std::string_view(text + (f.format == LengthFormat::ll ? 2 : 0), f.format == LengthFormat::ll ? 2 : 4),
               Pad::left, out);
      return;
    }
    default: {
      char text[5];
      std::snprintf(text, sizeof text, "%0*zu", digits, count);
      for (int i = 0; i < digits; ++i)
        out += f.prefix == Encoding::ebcdic ? static_cast<char>(ascii_to_ebcdic(static_cast<unsigned char>(text[i])))
                                            : text[i];
      return;
    }
  }
}

class Encoder {
 public:
  Encoder(const Spec& spec, Layout* layout) : spec_(spec), layout_(layout) {}

  Expected<std::string> run(const Value& value) {
    if (!value.is_object())
      return refuse("message", "expected an object of mti and fields, got " + std::string(type_name(value.type())));
    std::array<const Value*, 129> present{};
    std::vector<const Value*> headers(spec_.headers.size(), nullptr);
    const Value* mti = nullptr;
    for (const auto& [key, member] : value.as_object()) {
      if (key == "mti") {
        mti = &member;
        continue;
      }
      bool header = false;
      for (std::size_t i = 0; i < spec_.headers.size(); ++i) {
        if (spec_.headers[i].name == key) {
          headers[i] = &member;
          header = true;
        }
      }
      if (header) continue;
      const int n = field_number(key);
      if (n == 1) return refuse("field 1", "is the secondary bitmap, which the codec writes itself");
      if (!spec_.defines(n))
        return refuse("message", "key " + quoted(key) + " is not mti, a header or a field of this dialect");
      if (present[n]) return refuse(spec_.fields[n].label, "given twice (as " + quoted(key) + " and another key)");
      if (!member.is_null()) present[n] = &member;
    }

    std::string out;
    out.reserve(256);
    for (std::size_t i = 0; i < spec_.headers.size(); ++i) {
      const HeaderSpec& h = spec_.headers[i];
      if (!headers[i] || headers[i]->is_null()) {
        if (!h.has_default) return refuse("header " + h.name, "is missing and has no default");
        out += h.default_bytes;
        continue;
      }
      const Expected<std::string> bytes = headers[i]->is_string() ? from_hex(headers[i]->as_string(), h.name)
                                                                  : make_error(ErrorKind::flow, "not a string");
      if (!bytes || bytes->size() != h.length)
        return refuse("header " + h.name, "expected " + std::to_string(2 * h.length) + " hex digits");
      out += *bytes;
    }
    if (layout_) layout_->mti_begin = out.size();
    if (!mti || !mti->is_string()) return refuse("mti", "missing (a string of 4 digits such as \"0200\")");
    const std::string_view mti_text = mti->as_string();
    if (mti_text.size() != 4 || mti_text.find_first_not_of("0123456789") != std::string_view::npos)
      return refuse("mti", quoted(mti_text) + " is not 4 digits");
    if (spec_.mti == Encoding::bcd) {
      pack_bcd(mti_text, Pad::left, out);
    } else {
      for (char c : mti_text)
        out += spec_.mti == Encoding::ebcdic ? static_cast<char>(ascii_to_ebcdic(static_cast<unsigned char>(c))) : c;
    }

    Bitmap bitmap;
    for (int n = 2; n <= 128; ++n)
      if (present[n]) bitmap.set(n);
    for (int n = 65; n <= 128; ++n)
      if (present[n]) bitmap.set(1);
    bitmap.write(spec_.bitmap, out);

    for (int n = 2; n <= 128; ++n) {
      if (!present[n]) continue;
      const std::size_t begin = out.size();
      if (auto written = field(spec_.fields[n], *present[n], out); !written) return std::move(written).error();
      if (layout_) layout_->fields.push_back({n, begin, out.size()});
    }
    return out;
  }

 private:
  // The bytes of a b field: hex text, raw Bytes, or an object of tags for a TLV field.
  Expected<std::string> binary_data(const FieldSpec& f, const Value& value) {
    if (f.composite == Composite::tlv && value.is_object()) {
      std::string bytes;
      if (std::string problem = build_tlv(value.as_object(), bytes); !problem.empty()) return refuse(f.label, problem);
      return bytes;
    }
    if (value.is_bytes()) return value.as_bytes().data.str();
    if (!value.is_string())
      return refuse(f.label, "expected a hex string, got " + std::string(type_name(value.type())));
    const std::string_view hex = value.as_string();
    if (std::size_t bad = first_non_hex(hex); bad != std::string_view::npos)
      return refuse(f.label, quoted(hex) + " is not hex (character " + std::to_string(bad + 1) + ")");
    if (hex.size() % 2 != 0) return refuse(f.label, "odd number of hex digits (" + std::to_string(hex.size()) + ")");
    return *from_hex(hex, f.label);
  }

  // The characters of a composite field's parts, joined; trailing parts may be left out.
  Expected<std::string> joined_parts(const FieldSpec& f, const Object& parts) {
    for (const auto& [key, member] : parts) {
      bool known = false;
      for (const Subfield& sub : f.subfields) known = known || sub.key == key;
      if (!known)
        return refuse(f.label,
                      "key " + quoted(key) + " is not one of its " + std::to_string(f.subfields.size()) + " subfields");
    }
    std::string text;
    const Subfield* gap = nullptr;
    for (const Subfield& sub : f.subfields) {
      const Value* member = parts.find(sub.key);
      if (!member || member->is_null()) {
        if (!gap) gap = &sub;
        continue;
      }
      if (gap) return refuse(gap->label, "is missing, but a later subfield (" + sub.key + ") is given");
      std::string part;
      if (!scalar_text(*member, part))
        return refuse(sub.label, "expected a string, got " + std::string(type_name(member->type())));
      if (!fill_to(part, sub.length, sub.type == FieldType::n ? Fill::left_zeros : Fill::right_spaces))
        return refuse(sub.label,
                      std::to_string(part.size()) + " characters do not fit its " + std::to_string(sub.length));
      for (unsigned char c : part)
        if (!admits(sub.type, c))
          return refuse(sub.label, quoted(part) + " is not allowed in type " + std::string(type_name(sub.type)));
      text += part;
    }
    if (gap && f.format == LengthFormat::fixed) return refuse(gap->label, "is missing (the field has a fixed length)");
    return text;
  }

  Status field(const FieldSpec& f, const Value& value, std::string& out) {
    if (f.type == FieldType::b) {
      auto bytes = binary_data(f, value);
      if (!bytes) return std::move(bytes).error();
      if (f.format == LengthFormat::fixed && bytes->size() != f.length)
        return refuse(f.label, std::to_string(bytes->size()) + " bytes, it takes exactly " + std::to_string(f.length));
      if (bytes->size() > f.length)
        return refuse(f.label,
                      std::to_string(bytes->size()) + " bytes are more than its maximum " + std::to_string(f.length));
      if (f.format != LengthFormat::fixed) write_prefix(f, bytes->size(), out);
      if (f.data == Encoding::hex) append_hex(out, *bytes);
      else out += *bytes;
      return Ok{};
    }

    std::string text;
    if (f.composite == Composite::positional && value.is_object()) {
      auto joined = joined_parts(f, value.as_object());
      if (!joined) return std::move(joined).error();
      text = std::move(*joined);
    } else if (!scalar_text(value, text)) {
      return refuse(f.label, "expected a string, got " + std::string(type_name(value.type())));
    }

    for (std::size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      const bool ok =
          f.type == FieldType::xn ? (i == 0 ? (c == 'C' || c == 'D') : (c >= '0' && c <= '9')) : admits(f.type, c);
      if (!ok) {
        const std::string kind =
            f.type == FieldType::n ? "numeric" : "allowed in type " + std::string(type_name(f.type));
        return refuse(f.label, quoted(text) + " is not " + kind + " (character " + std::to_string(i + 1) + ")");
      }
      if (f.data == Encoding::ebcdic && ascii_to_ebcdic(c) < 0)
        return refuse(f.label, "character " + std::to_string(i + 1) + " has no EBCDIC form");
    }
    if (f.format == LengthFormat::fixed) {
      const std::size_t given = text.size();
      if (given > f.length || !fill_to(text, f.length, f.fill))
        return refuse(f.label, std::to_string(given) + " " + std::string(units(f.type)) + ", it takes " +
                                   (given > f.length ? "at most " : "exactly ") + std::to_string(f.length));
    } else {
      if (text.size() > f.length)
        return refuse(f.label, std::to_string(text.size()) + " " + std::string(units(f.type)) +
                                   " are more than its maximum " + std::to_string(f.length));
      write_prefix(f, text.size(), out);
    }
    switch (f.data) {
      case Encoding::bcd:
        if (f.type == FieldType::xn && !text.empty()) {
          out += text[0];
          pack_bcd(std::string_view(text).substr(1), f.pad, out);
        } else {
          pack_bcd(text, f.pad, out);
        }
        break;
      case Encoding::ebcdic:
        for (char c : text) out += static_cast<char>(ascii_to_ebcdic(static_cast<unsigned char>(c)));
        break;
      default: out += text; break;
    }
    return Ok{};
  }

  const Spec& spec_;
  Layout* layout_;
};

}  // namespace

Expected<std::string> encode(const Value& value, const Spec& spec, Layout* layout) {
  return Encoder(spec, layout).run(value);
}

}  // namespace qiao::iso8583
