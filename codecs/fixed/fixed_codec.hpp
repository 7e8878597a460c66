#pragma once
// The fixed codec: fixed-length records ⇄ Value, driven by a layout file under config/ (bank
// statement and reconciliation files, insurer requests). See README.md for the layout format, the
// Value shapes and the error texts.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/text/date_format.hpp"
#include "core/value.hpp"

namespace qiao::fixed {

enum class FieldType : std::uint8_t { string, integer, decimal, date };
enum class Align : std::uint8_t { left, right };

// Where a number keeps its sign.
enum class Sign : std::uint8_t {
  none,       // digits only; a negative value cannot be written
  leading,    // the field's first byte is '+' or '-'
  trailing,   // the field's last byte is '+' or '-'
  minus,      // '-' right before the digits when negative, nothing when not ("   -12.50")
  overpunch,  // COBOL zoned decimal: the last digit carries the sign ({ A…I positive, } J…R negative)
};

// How records are separated. `any` reads LF or CRLF and writes CRLF; `none` is back-to-back, each
// record as long as its layout says.
enum class Terminator : std::uint8_t { any, lf, crlf, none };

// How to find character boundaries in the record's bytes, so no field cuts a character in two.
enum class CharsetFamily : std::uint8_t {
  utf8,
  single_byte,  // ISO-8859-x, Windows-125x
  double_byte,  // GBK, GB2312, Big5: a byte ≥ 0x81 starts a two-byte character
  gb18030,      // as double_byte, plus four-byte sequences (second byte 0x30–0x39)
};

struct Field {
  std::string name;
  std::size_t offset = 0;  // bytes from the start of the record
  std::size_t length = 0;  // bytes in the record's charset
  FieldType type = FieldType::string;
  Align align = Align::left;
  char pad = ' ';
  int scale = 0;                // decimal: digits after the (implied) point
  bool explicit_point = false;  // decimal: the text holds the '.' itself ("  123.45")
  Sign sign = Sign::none;
  bool required = false;                     // a blank field is an error on decode; a missing value on encode
  bool truncate = false;                     // string: encode cuts a long value at a character boundary
  std::optional<std::string> default_value;  // written when the record object lacks the field (UTF-8)
  std::string format;                        // date: as written in the layout, e.g. "yyyyMMdd"
  DateFormat date;                           // date: `format` compiled
};

struct RecordType {
  std::string name;        // "header", "detail", "trailer", or "record" for a single-record layout
  std::string match;       // the discriminator's bytes in the layout's charset; empty: by position
  std::size_t length = 0;  // the sum of the field lengths
  std::vector<Field> fields;
};

// Everything one layout file says: immutable once loaded, shared by every worker.
struct Layout {
  std::string charset;  // normalized (see normalize_charset); empty is UTF-8
  CharsetFamily family = CharsetFamily::utf8;
  Terminator terminator = Terminator::any;
  bool final_terminator = true;  // encode ends the last record with the terminator too
  // Bytes that tell record types apart; length 0: header first, trailer last, details between.
  std::size_t discriminator_offset = 0;
  std::size_t discriminator_length = 0;
  bool single = false;  // one record (`record:`) rather than header/details/trailer
  std::optional<RecordType> header;
  RecordType detail;  // the single record when `single`
  std::optional<RecordType> trailer;
  std::uint64_t max_size = 64ull << 20;
  std::uint64_t max_records = 1'000'000;
};

// The layout file's keys (top level, record types, fields, discriminator): they validate and
// document.
Schema layout_schema();
Schema record_schema();
Schema field_schema();
Schema discriminator_schema();

// Reads and checks a layout file. Errors are ErrorKind::config, one per line, each
// "file:line:col: fixed: what".
Expected<Layout> load_layout(const std::string& path);
// The same from YAML text; `file_label` stands for the file name in errors (tests, fuzzing).
Expected<Layout> parse_layout(std::string_view yaml, const std::string& file_label);

// Decoded strings longer than this borrow from the message buffer.
inline constexpr std::size_t borrow_above = 15;

// `{ "header": {…}, "details": [ {…}, … ], "trailer": {…} }`, or one object for a single-record
// layout. Errors are ErrorKind::bad_input ("fixed: line 3 record detail field amount: '12a45' is not
// a number at byte 57"); limits are ErrorKind::too_large.
Expected<Value> decode(const Buffer& bytes, const Layout& layout);

// The reverse; errors are ErrorKind::flow naming the record and field
// ("fixed: detail 2 field name: '…' is 14 bytes in GBK, the field holds 12").
Expected<std::string> encode(const Value& value, const Layout& layout);

class FixedCodec final : public Codec {
 public:
  explicit FixedCodec(Layout layout) : layout_(std::move(layout)) {}
  std::string_view content_type() const override { return "text/plain"; }
  Expected<Value> decode(const Buffer& bytes) const override { return fixed::decode(bytes, layout_); }
  Expected<std::string> encode(const Value& value) const override { return fixed::encode(value, layout_); }
  const Layout& layout() const { return layout_; }

 private:
  Layout layout_;
};

// "fixed:config/layouts/bank-statement-fixed.yaml": the argument is the layout file, relative to
// the config directory.
class FixedCodecKind final : public CodecKind {
 public:
  std::string_view name() const override { return "fixed"; }
  std::string_view description() const override;
  Schema schema() const override;
  std::string_view argument_key() const override { return "layout"; }
  std::shared_ptr<const Codec> create(const ConfigReader& options, std::string_view base_dir) const override;
};

}  // namespace qiao::fixed
