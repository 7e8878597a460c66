// Options from a layout file or from the codec's own options ("delimited:delimiter=|,header=true",
// { delimited: { layout: …, charset: GBK } }), both read through option_schema so mistakes come
// out as file:line:col.

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include "codecs/delimited/detail.hpp"
#include "core/config/config_node.hpp"
#include "core/config/option_checks.hpp"
#include "core/text/charset.hpp"

namespace qiao::delimited {

namespace {

constexpr std::array<ConfigKey, 15> option_keys{{
    {"layout", KeyType::string, "",
     "codec only: a layout file to start from, relative to the config directory (delimited:config/layouts/x.yaml); "
     "the other options override it"},
    {"delimiter", KeyType::string, ",", "one byte between fields, or comma, pipe, tab, semicolon, space"},
    {"quote", KeyType::string, "\"", "the quote character (RFC 4180), or none"},
    {"escape", KeyType::string, "none", "a character that makes the next byte literal (e.g. \\), or none"},
    {"header", KeyType::boolean, "false", "the first record names the columns"},
    {"terminator", KeyType::string, "any",
     "record terminator: lf, crlf, cr, or any (LF/CRLF/CR on input, CRLF on output)"},
    {"trailing_delimiter", KeyType::boolean, "false", "every record ends with a delimiter (\"a|b|\")"},
    {"charset", KeyType::string, "UTF-8", "the bytes' character set (GBK, GB18030, …); values are always UTF-8"},
    {"strict", KeyType::boolean, "true", "a record with the wrong number of fields is an error"},
    {"trim", KeyType::boolean, "false", "spaces and tabs around fields are not data"},
    {"skip_empty_lines", KeyType::boolean, "true", "empty lines are not records"},
    {"max_size", KeyType::size, "64MiB", "largest input accepted"},
    {"max_records", KeyType::integer, "1000000", "most records accepted (header row not counted)"},
    {"max_fields", KeyType::integer, "1024", "most fields in one record"},
    {"columns", KeyType::any, "", "the columns in order (see column keys), or names only: columns=id;name;amount"},
}};

constexpr std::array<ConfigKey, 6> column_keys{{
    {"name", KeyType::string, "", "the key of this field in a record object", true},
    {"type", KeyType::string, "string", "string, integer, decimal or date"},
    {"required", KeyType::boolean, "false", "an empty field is an error"},
    {"scale", KeyType::integer, "", "decimal: digits after the point (12.5 → \"12.50\"); more is an error"},
    {"format", KeyType::string, "", "date: e.g. yyyyMMdd, yyyy-MM-dd HH:mm:ss, HHmmss ('T' for literal letters)"},
    {"description", KeyType::string, "", "what the field means (documentation only)"},
}};

Error config_error(std::string message) { return make_error(ErrorKind::config, std::move(message)); }

// A single-byte option; the names spare a shell and the inline syntax's commas.
std::optional<int> parse_char(std::string_view key, std::string_view text, std::string& problem) {
  if ((key == "quote" || key == "escape") && (text == "none" || text.empty())) return no_char;
  if (text == "comma") return ',';
  if (text == "pipe") return '|';
  if (text == "tab" || text == "\\t") return '\t';
  if (text == "semicolon") return ';';
  if (text == "space") return ' ';
  if (text == "backslash") return '\\';
  if (text.size() != 1) {
    problem = std::string(key) + ": expected one character (or comma, pipe, tab, semicolon, space" +
              (key == "delimiter" ? "" : ", none") + "), got " + detail::quoted(text);
    return std::nullopt;
  }
  if (text[0] == '\r' || text[0] == '\n') {
    problem = std::string(key) + ": CR and LF end records";
    return std::nullopt;
  }
  return static_cast<unsigned char>(text[0]);
}

std::optional<Terminator> parse_terminator(std::string_view text) {
  if (text == "any") return Terminator::any;
  if (text == "lf" || text == "LF") return Terminator::lf;
  if (text == "crlf" || text == "CRLF") return Terminator::crlf;
  if (text == "cr" || text == "CR") return Terminator::cr;
  return std::nullopt;
}

// Applies one single-byte, terminator or charset option; returns the problem, or empty.
std::string apply_text(Options& options, std::string_view key, std::string_view text) {
  std::string problem;
  if (key == "delimiter" || key == "quote" || key == "escape") {
    auto c = parse_char(key, text, problem);
    if (!c) return problem;
    if (key == "delimiter") options.delimiter = static_cast<char>(*c);
    else if (key == "quote") options.quote = *c;
    else options.escape = *c;
  } else if (key == "terminator") {
    auto t = parse_terminator(text);
    if (!t) return "terminator: expected lf, crlf, cr or any, got " + detail::quoted(text);
    options.terminator = *t;
  } else if (key == "charset") {
    if (!charset_supported(text)) return "charset: " + detail::quoted(text) + " is not a character set iconv knows";
    options.charset = normalize_charset(text);
  }
  return {};
}

// What must hold whichever way the options came.
std::string check(const Options& options) {
  const int d = static_cast<unsigned char>(options.delimiter);
  if (options.quote != no_char && options.quote == d) return "the quote and the delimiter are the same character";
  if (options.escape != no_char && options.escape == d) return "the escape and the delimiter are the same character";
  if (options.trim && (d == ' ' || d == '\t')) return "trim cannot be used with a space or tab delimiter";
  return {};
}

std::string resolve(std::string_view base_dir, std::string_view path) {
  const std::filesystem::path p{std::string(path)};
  if (p.is_absolute() || base_dir.empty()) return p.string();
  return (std::filesystem::path(std::string(base_dir)) / p).string();
}

void read_columns(const ConfigNode& list, Options& options, Diagnostics& diag) {
  for (const ConfigNode& item : list.items()) {
    ConfigReader reader(item, Schema(column_keys), diag, "delimited column");
    Column column;
    column.name = reader.string("name");
    const std::string type = reader.string("type");
    if (type == "string") column.type = ColumnType::string;
    else if (type == "integer") column.type = ColumnType::integer;
    else if (type == "decimal") column.type = ColumnType::decimal;
    else if (type == "date") column.type = ColumnType::date;
    else
      diag.error(reader.node("type")->location(),
                 "delimited column: type must be string, integer, decimal or date, not " + detail::quoted(type));
    column.required = reader.boolean("required");
    if (auto scale = reader.node("scale")) {
      if (column.type != ColumnType::decimal)
        diag.error(scale->location(), "delimited column: scale applies to decimal columns only");
      const std::int64_t s = reader.integer("scale");
      if (s < 0 || s > 18) diag.error(scale->location(), "delimited column: scale must be between 0 and 18");
      column.scale = static_cast<int>(s);
    }
    if (auto format = reader.node("format")) {
      if (column.type != ColumnType::date)
        diag.error(format->location(), "delimited column: format applies to date columns only");
      column.format = reader.string("format");
    }
    if (column.type == ColumnType::date) {
      if (auto compiled = detail::compile_date(column); !compiled)
        diag.error(reader.node("format") ? reader.node("format")->location() : item.location(),
                   "delimited column " + detail::quoted(column.name) + ": " + compiled.error().message);
    }
    for (const Column& other : options.columns) {
      if (!column.name.empty() && other.name == column.name)
        diag.error(reader.node("name")->location(), "delimited column: duplicate name " + detail::quoted(column.name));
    }
    if (auto name = reader.node("name"); name && column.name.empty())
      diag.error(name->location(), "delimited column: name must not be empty");
    options.columns.push_back(std::move(column));
  }
  if (options.columns.empty()) diag.error(list.location(), "delimited: columns must list at least one column");
}

// Inline columns are names only ("columns=id;name;amount"), string typed: a flow names the fields
// of a file without a layout; types, scales and formats need a layout file.
std::string name_columns(Options& options, std::string_view names) {
  options.columns.clear();
  for (std::size_t start = 0; start <= names.size();) {
    std::size_t end = names.find(';', start);
    if (end == std::string_view::npos) end = names.size();
    Column column;
    column.name = std::string(names.substr(start, end - start));
    start = end + 1;
    if (column.name.empty()) return "columns: a column name is empty (write columns=id;name;amount)";
    for (const Column& other : options.columns)
      if (other.name == column.name) return "columns: duplicate name " + detail::quoted(column.name);
    options.columns.push_back(std::move(column));
  }
  return {};
}

void apply_options(const ConfigReader& reader, Options& options, const std::string& what, bool layout_file) {
  Diagnostics& diag = reader.diagnostics();
  const OptionChecks checks(reader, what);
  const std::size_t errors_before = diag.errors().size();
  for (const auto& [key_node, value] : reader.mapping().entries()) {
    const std::string key = key_node.scalar();
    if (key == "layout") {
      if (layout_file)
        diag.error(key_node.location(), what + ": layout is an inline option; a layout file cannot name another");
    } else if (key == "columns") {
      if (value.is_sequence()) read_columns(value, options, diag);
      else if (std::string problem = name_columns(options, value.scalar()); !problem.empty())
        diag.error(value.location(), what + ": " + problem);
    } else if (key == "max_size") {
      options.max_size = checks.positive_size(key);
    } else if (key == "max_records" || key == "max_fields") {
      (key == "max_records" ? options.max_records : options.max_fields) =
          static_cast<std::uint64_t>(checks.positive_integer(key));
    } else if (key == "header") {
      options.header = reader.boolean(key);
    } else if (key == "trailing_delimiter") {
      options.trailing_delimiter = reader.boolean(key);
    } else if (key == "strict") {
      options.strict = reader.boolean(key);
    } else if (key == "trim") {
      options.trim = reader.boolean(key);
    } else if (key == "skip_empty_lines") {
      options.skip_empty_lines = reader.boolean(key);
    } else if (value.is_scalar()) {
      // delimiter, quote, escape, terminator, charset; the reader reported unknown keys already.
      if (std::string problem = apply_text(options, key, value.scalar()); !problem.empty())
        diag.error(value.location(), what + ": " + problem);
    }
  }
  // Options that each failed leave nothing coherent to check together.
  if (std::string problem = check(options); diag.errors().size() == errors_before && !problem.empty())
    diag.error(reader.mapping().location(), what + ": " + problem);
}

}  // namespace

Schema option_schema() { return Schema(option_keys); }
Schema column_schema() { return Schema(column_keys); }

Expected<Options> load_layout(const std::string& path) {
  auto root = ConfigNode::load_file(path);
  if (!root) return std::move(root).error();
  Diagnostics diag;
  ConfigReader reader(*root, option_schema(), diag, "delimited");
  Options options;
  apply_options(reader, options, "delimited", true);
  if (!diag.ok()) {
    std::string text = diag.text();
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return config_error(std::move(text));
  }
  return options;
}

std::optional<Options> read_options(const ConfigReader& reader, std::string_view base_dir) {
  Options options;
  if (auto layout = reader.node("layout")) {
    auto loaded = load_layout(resolve(base_dir, reader.string("layout")));
    if (!loaded) {
      reader.diagnostics().error(layout->location(), "codec delimited: " + loaded.error().message);
      return std::nullopt;
    }
    options = std::move(*loaded);
  }
  const std::size_t errors_before = reader.diagnostics().errors().size();
  apply_options(reader, options, "codec delimited", false);
  if (reader.diagnostics().errors().size() != errors_before) return std::nullopt;
  return options;
}

}  // namespace qiao::delimited
