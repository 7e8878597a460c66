// libFuzzer target for the delimited codec. The first byte picks one of a few option sets (CSV,
// pipe with a trailing delimiter and escape, tab with trim and a typed layout-like column list,
// GBK); the rest is the input. Beyond "no crash, no sanitizer report" it checks the codec's
// promises: decode errors are bad_input or too_large with a "delimited: " message naming a line;
// whatever decodes also encodes; and the encoding decodes back to an equal Value.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "codecs/delimited/delimited_codec.hpp"
#include "codecs/delimited/detail.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "delimited_fuzz: %s: %s\n", promise, detail.c_str());
  std::abort();
}

std::vector<qiao::delimited::Options> make_option_sets() {
  using namespace qiao::delimited;
  std::vector<Options> sets;
  sets.push_back(Options{});
  sets.push_back(Options{
      .delimiter = '|', .quote = no_char, .escape = '\\', .terminator = Terminator::lf, .trailing_delimiter = true});
  sets.push_back(Options{.delimiter = '\t', .header = true, .terminator = Terminator::crlf, .strict = false});
  sets.push_back(
      Options{.delimiter = ';', .escape = '\\', .terminator = Terminator::cr, .trim = true, .skip_empty_lines = false});
  sets.push_back(Options{.header = true, .charset = "GBK", .max_records = 50, .max_fields = 16});
  // A typed layout: integer, decimal with scale, date, required string.
  Options typed;
  typed.delimiter = '|';
  typed.strict = false;
  typed.trailing_delimiter = true;
  const auto column = [](const char* name, ColumnType type) {
    Column c;
    c.name = name;
    c.type = type;
    return c;
  };
  typed.columns.push_back(column("n", ColumnType::integer));
  typed.columns.push_back(column("amount", ColumnType::decimal));
  typed.columns.back().scale = 2;
  typed.columns.push_back(column("date", ColumnType::date));
  typed.columns.back().format = "yyyyMMdd HH:mm";
  typed.columns.push_back(column("name", ColumnType::string));
  typed.columns.back().required = true;
  for (Column& c : typed.columns)
    if (c.type == ColumnType::date && !qiao::delimited::detail::compile_date(c)) broken("date format", c.format);
  sets.push_back(std::move(typed));
  return sets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<qiao::delimited::Options> sets = make_option_sets();
  if (size == 0) return 0;
  const qiao::delimited::Options& options = sets[data[0] % sets.size()];
  auto input = qiao::make_buffer(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));

  auto decoded = qiao::delimited::decode(input, options);
  if (!decoded) {
    const qiao::Error& error = decoded.error();
    if (error.kind != qiao::ErrorKind::bad_input && error.kind != qiao::ErrorKind::too_large)
      broken("decode error kind is neither bad_input nor too_large", error.message);
    if (error.message.rfind("delimited: ", 0) != 0) broken("decode error lacks the delimited: prefix", error.message);
    return 0;
  }

  auto encoded = qiao::delimited::encode(*decoded, options);
  if (!encoded) broken("a decoded value failed to encode", encoded.error().message);

  auto again = qiao::delimited::decode(qiao::make_buffer(*encoded), options);
  if (!again) broken("the encoding failed to decode", again.error().message + " in " + *encoded);
  if (!(*again == *decoded)) broken("the round trip changed the value", *encoded);
  return 0;
}
