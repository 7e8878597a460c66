#pragma once
// The delimited codec: pipe-delimited and CSV (RFC 4180) text ⇄ Value, optionally typed by a
// layout file under config/. See README.md for the options, the layout format, the Value shapes
// and the error texts.

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

namespace qiao::delimited {

// Which bytes end a record. On input `any` accepts LF, CRLF and CR alike; on output it writes
// CRLF, as RFC 4180 does. The others are exact both ways: with `crlf`, a lone LF is data.
enum class Terminator : std::uint8_t { any, lf, crlf, cr };

enum class ColumnType : std::uint8_t { string, integer, decimal, date };

struct Column {
  std::string name;
  ColumnType type = ColumnType::string;
  bool required = false;  // an empty field is an error on decode and on encode
  int scale = -1;         // decimal: digits after the point; -1 leaves them as written
  std::string format;     // date: as written in the layout, e.g. "yyyyMMdd"
  DateFormat date;        // date: `format` compiled
};

inline constexpr int no_char = -1;

// Everything that shapes a file: immutable once built, shared by every worker.
struct Options {
  char delimiter = ',';
  int quote = '"';       // no_char: fields are never quoted
  int escape = no_char;  // e.g. '\\': the next byte is taken literally, inside or outside quotes
  bool header = false;   // the first record names the columns
  Terminator terminator = Terminator::any;
  bool trailing_delimiter = false;  // every record ends with a delimiter (common in HIS files)
  std::string charset;              // normalized (see normalize_charset); empty is UTF-8
  bool strict = true;               // every record has exactly the expected number of fields
  bool trim = false;                // spaces and tabs around fields are not data
  bool skip_empty_lines = true;
  std::uint64_t max_size = 64ull << 20;   // bytes of input
  std::uint64_t max_records = 1'000'000;  // records (not counting the header row)
  std::uint64_t max_fields = 1024;        // fields in one record
  std::vector<Column> columns;            // from a layout file; empty: untyped
};

// The option keys, shared by layout files and the codec's options (where `layout` names a file
// to start from), and the keys of one column in a layout file. They are the documentation too.
Schema option_schema();
Schema column_schema();

// The codec's options, checked by option_schema(): a layout file first if `layout` names one
// (relative to base_dir), then the other options over it. Problems go to reader.diagnostics(),
// layout file errors as "file:line:col: delimited: what".
std::optional<Options> read_options(const ConfigReader& reader, std::string_view base_dir);
// Errors are ErrorKind::config, one "file:line:col: delimited: what" per line.
Expected<Options> load_layout(const std::string& path);

// Decoded strings longer than this borrow from the message buffer (or the converted copy).
inline constexpr std::size_t borrow_above = 15;

// Errors are ErrorKind::bad_input ("delimited: line 12, column 3 (amount): 'abc' is not a
// decimal"), or ErrorKind::too_large when a limit is exceeded.
Expected<Value> decode(const Buffer& bytes, const Options& options);

// Errors are ErrorKind::flow, naming the record (1-based, header row not counted) and column.
Expected<std::string> encode(const Value& value, const Options& options);

class DelimitedCodec final : public Codec {
 public:
  explicit DelimitedCodec(Options options) : options_(std::move(options)) {}
  std::string_view content_type() const override;
  Expected<Value> decode(const Buffer& bytes) const override { return delimited::decode(bytes, options_); }
  Expected<std::string> encode(const Value& value) const override { return delimited::encode(value, options_); }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

class DelimitedCodecKind final : public CodecKind {
 public:
  std::string_view name() const override { return "delimited"; }
  std::string_view description() const override;
  Schema schema() const override;
  std::string_view argument_key() const override { return "layout"; }
  std::shared_ptr<const Codec> create(const ConfigReader& options, std::string_view base_dir) const override;
};

}  // namespace qiao::delimited
