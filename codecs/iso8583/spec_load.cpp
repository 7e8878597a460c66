// Spec files (YAML) → Spec. Every key is checked against a schema table (unknown keys are errors)
// and every value against what ISO 8583 allows, all reported at once as file:line:col.

#include <array>
#include <charconv>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "codecs/iso8583/spec.hpp"
#include "codecs/iso8583/wire.hpp"
#include "core/config/config_node.hpp"
#include "core/config/schema.hpp"
#include "core/text/hex.hpp"

namespace qiao::iso8583 {

namespace {

constexpr std::array<ConfigKey, 10> spec_keys{{
    {"description", KeyType::string, "", "what the dialect is (documentation only)"},
    {"headers", KeyType::sequence, "", "raw bytes before the MTI, in order (TPDU, message header)"},
    {"mti", KeyType::string, "ascii", "MTI encoding: ascii (4 bytes), bcd (2 bytes) or ebcdic (4 bytes)"},
    {"bitmap", KeyType::string, "binary", "bitmap encoding: binary (8 bytes each) or hex (16 ASCII hex digits each)"},
    {"defaults", KeyType::mapping, "", "encodings fields take unless they say otherwise"},
    {"fields", KeyType::mapping, "", "field number → definition", true},
    {"echo", KeyType::strings, "", "fields a response copies from its request"},
    {"mac_field", KeyType::integer, "", "the field holding the MAC (default 64, or 128 with a secondary bitmap)"},
    {"max_size", KeyType::size, "64KiB", "largest message decode accepts"},
    {"error_codes", KeyType::mapping, "",
     "field 39 answering a request whose flow failed, by error kind (bad_input, check_failed, too_large: 30; "
     "timeout, unavailable: 91; default: 96), e.g. { rejected: A0 } for a failed MAC check"},
}};

constexpr std::array<ConfigKey, 5> header_keys{{
    {"name", KeyType::string, "", "its key in the message value", true},
    {"length", KeyType::integer, "", "bytes", true},
    {"tpdu", KeyType::boolean, "false",
     "a 5-byte TPDU (id, destination, source): a response swaps destination and source"},
    {"default", KeyType::string, "", "hex bytes encode uses when the value lacks this header"},
    {"description", KeyType::string, "", "documentation only"},
}};

constexpr std::array<ConfigKey, 6> default_keys{{
    {"numeric", KeyType::string, "ascii", "n, z and x+n data: ascii, bcd or ebcdic"},
    {"text", KeyType::string, "ascii", "a, an, ans, as, ns, anp data: ascii or ebcdic"},
    {"binary", KeyType::string, "binary", "b data: binary (raw bytes) or hex (ASCII hex digits)"},
    {"prefix", KeyType::string, "ascii", "length prefixes: ascii, bcd, binary or ebcdic"},
    {"fixed_pad", KeyType::string, "left", "odd digit count in a fixed BCD field: left, right, left_f, right_f"},
    {"variable_pad", KeyType::string, "right", "odd digit count in a variable BCD field: left, right, left_f, right_f"},
}};

constexpr std::array<ConfigKey, 11> field_keys{{
    {"name", KeyType::string, "", "what the field is; errors name it", true},
    {"type", KeyType::string, "", "n, a, an, ans, as, ns, anp, z, b or x+n", true},
    {"length", KeyType::integer, "", "fixed length or maximum: digits (n, z), characters (text) or bytes (b)", true},
    {"format", KeyType::string, "fixed", "fixed, LLVAR, LLLVAR or LLLLVAR"},
    {"encoding", KeyType::string, "", "data encoding (default from defaults): ascii, bcd, binary, ebcdic, hex"},
    {"prefix", KeyType::string, "", "length prefix encoding (default from defaults): ascii, bcd, binary, ebcdic"},
    {"pad", KeyType::string, "",
     "BCD with an odd digit count: left, right (a 0 nibble), left_f, right_f (an F nibble)"},
    {"fill", KeyType::string, "",
     "fixed fields on encode: left_zeros (n), right_spaces (text), left_spaces, right_zeros, none (b)"},
    {"tlv", KeyType::boolean, "false", "b fields: BER-TLV data (EMV field 55), decoded as tag → hex value"},
    {"subfields", KeyType::sequence, "", "positional parts, each {name, type, length}; the value is an object 1, 2, …"},
    {"description", KeyType::string, "", "documentation only"},
}};

constexpr std::array<ConfigKey, 4> subfield_keys{{
    {"name", KeyType::string, "", "what the part is", true},
    {"type", KeyType::string, "n", "n, a, an, ans, as, ns, anp or z"},
    {"length", KeyType::integer, "", "characters (digits)", true},
    {"description", KeyType::string, "", "documentation only"},
}};

struct Named {
  std::string_view name;
  int value;
};

// The scalar at `key`, one of `choices`; reports anything else.
template <std::size_t N>
std::optional<int> choose(const ConfigReader& reader, std::string_view key, const std::array<Named, N>& choices,
                          std::string_view what) {
  auto node = reader.node(key);
  if (!node || !node->is_scalar()) return std::nullopt;
  const std::string text = node->scalar();
  for (const Named& c : choices)
    if (c.name == text) return c.value;
  std::string names;
  for (const Named& c : choices) names += (names.empty() ? "" : ", ") + std::string(c.name);
  reader.diagnostics().error(node->location(), "iso8583: " + (what.empty() ? std::string() : std::string(what) + ": ") +
                                                   std::string(key) + " must be one of " + names + ", not '" + text +
                                                   "'");
  return std::nullopt;
}

constexpr std::array<Named, 5> encoding_names{{{"ascii", int(Encoding::ascii)},
                                               {"bcd", int(Encoding::bcd)},
                                               {"binary", int(Encoding::binary)},
                                               {"ebcdic", int(Encoding::ebcdic)},
                                               {"hex", int(Encoding::hex)}}};
constexpr std::array<Named, 3> mti_names{
    {{"ascii", int(Encoding::ascii)}, {"bcd", int(Encoding::bcd)}, {"ebcdic", int(Encoding::ebcdic)}}};
constexpr std::array<Named, 2> bitmap_names{{{"binary", int(Encoding::binary)}, {"hex", int(Encoding::hex)}}};
constexpr std::array<Named, 2> text_names{{{"ascii", int(Encoding::ascii)}, {"ebcdic", int(Encoding::ebcdic)}}};
constexpr std::array<Named, 4> prefix_names{{{"ascii", int(Encoding::ascii)},
                                             {"bcd", int(Encoding::bcd)},
                                             {"binary", int(Encoding::binary)},
                                             {"ebcdic", int(Encoding::ebcdic)}}};
constexpr std::array<Named, 10> type_names{{{"n", int(FieldType::n)},
                                            {"a", int(FieldType::a)},
                                            {"an", int(FieldType::an)},
                                            {"ans", int(FieldType::ans)},
                                            {"as", int(FieldType::as)},
                                            {"ns", int(FieldType::ns)},
                                            {"anp", int(FieldType::anp)},
                                            {"z", int(FieldType::z)},
                                            {"b", int(FieldType::b)},
                                            {"x+n", int(FieldType::xn)}}};
constexpr std::array<Named, 8> format_names{{{"fixed", int(LengthFormat::fixed)},
                                             {"LLVAR", int(LengthFormat::ll)},
                                             {"LLLVAR", int(LengthFormat::lll)},
                                             {"LLLLVAR", int(LengthFormat::llll)},
                                             {"llvar", int(LengthFormat::ll)},
                                             {"lllvar", int(LengthFormat::lll)},
                                             {"llllvar", int(LengthFormat::llll)},
                                             {"FIXED", int(LengthFormat::fixed)}}};
constexpr std::array<Named, 4> pad_names{{{"left", int(Pad::left)},
                                          {"right", int(Pad::right)},
                                          {"left_f", int(Pad::left_f)},
                                          {"right_f", int(Pad::right_f)}}};
constexpr std::array<Named, 5> fill_names{{{"left_zeros", int(Fill::left_zeros)},
                                           {"right_spaces", int(Fill::right_spaces)},
                                           {"left_spaces", int(Fill::left_spaces)},
                                           {"right_zeros", int(Fill::right_zeros)},
                                           {"none", int(Fill::none)}}};

bool is_numeric(FieldType t) { return t == FieldType::n || t == FieldType::z || t == FieldType::xn; }

struct Defaults {
  Encoding numeric = Encoding::ascii;
  Encoding text = Encoding::ascii;
  Encoding binary = Encoding::binary;
  Encoding prefix = Encoding::ascii;
  Pad fixed_pad = Pad::left;
  Pad variable_pad = Pad::right;
};

Defaults read_defaults(const std::optional<ConfigNode>& node, Diagnostics& diag) {
  Defaults d;
  if (!node) return d;
  ConfigReader reader(*node, Schema(default_keys), diag, "iso8583 defaults");
  if (auto e = choose(reader, "numeric", mti_names, "defaults")) d.numeric = Encoding(*e);
  if (auto e = choose(reader, "text", text_names, "defaults")) d.text = Encoding(*e);
  if (auto e = choose(reader, "binary", bitmap_names, "defaults")) d.binary = Encoding(*e);
  if (auto e = choose(reader, "prefix", prefix_names, "defaults")) d.prefix = Encoding(*e);
  if (auto p = choose(reader, "fixed_pad", pad_names, "defaults")) d.fixed_pad = Pad(*p);
  if (auto p = choose(reader, "variable_pad", pad_names, "defaults")) d.variable_pad = Pad(*p);
  return d;
}

std::uint32_t prefix_capacity(LengthFormat format, Encoding prefix) {
  if (prefix == Encoding::binary) return format == LengthFormat::ll ? 255 : 65535;
  switch (format) {
    case LengthFormat::ll: return 99;
    case LengthFormat::lll: return 999;
    case LengthFormat::llll: return 9999;
    case LengthFormat::fixed: break;
  }
  return 9999;
}

void read_subfields(const ConfigNode& list, FieldSpec& field, Diagnostics& diag) {
  std::uint32_t total = 0;
  for (const ConfigNode& item : list.items()) {
    ConfigReader reader(item, Schema(subfield_keys), diag, "iso8583 subfield");
    Subfield sub;
    sub.key = std::to_string(field.subfields.size() + 1);
    sub.name = reader.string("name");
    sub.label = "field " + field.key + "." + sub.key + " (" + sub.name + ")";
    if (auto t = choose(reader, "type", type_names, "subfield")) sub.type = FieldType(*t);
    if (sub.type == FieldType::b || sub.type == FieldType::xn)
      diag.error(reader.node("type")->location(),
                 "iso8583: subfield: type must be a character type, not " + std::string(type_name(sub.type)));
    if (field.type == FieldType::n && sub.type != FieldType::n && reader.node("type"))
      diag.error(reader.node("type")->location(), "iso8583: subfield: the parts of an n field are n too");
    const std::int64_t length = reader.integer("length");
    if (reader.node("length") && (length < 1 || length > 999))
      diag.error(reader.node("length")->location(), "iso8583: subfield: length must be between 1 and 999");
    sub.length = static_cast<std::uint32_t>(length < 1 || length > 999 ? 1 : length);
    total += sub.length;
    field.subfields.push_back(std::move(sub));
  }
  if (field.subfields.empty()) diag.error(list.location(), "iso8583: subfields must list at least one part");
  if (field.format == LengthFormat::fixed && total != field.length && !field.subfields.empty())
    diag.error(list.location(), "iso8583: " + field.label + ": the subfields add up to " + std::to_string(total) +
                                    ", the field is " + std::to_string(field.length));
  if (field.format != LengthFormat::fixed && total > field.length)
    diag.error(list.location(), "iso8583: " + field.label + ": the subfields add up to " + std::to_string(total) +
                                    ", more than its maximum " + std::to_string(field.length));
}

void read_field(const ConfigNode& key_node, const ConfigNode& node, const Defaults& defaults, Spec& spec,
                Diagnostics& diag) {
  const std::string key_text = key_node.scalar();
  int number = 0;
  auto [end, ec] = std::from_chars(key_text.data(), key_text.data() + key_text.size(), number);
  if (ec != std::errc() || end != key_text.data() + key_text.size() || number < 1 || number > 128) {
    diag.error(key_node.location(), "iso8583: fields: '" + key_text + "' is not a field number between 2 and 128");
    return;
  }
  if (number == 1) {
    diag.error(key_node.location(), "iso8583: fields: field 1 is the secondary bitmap, which the codec handles");
    return;
  }
  if (spec.fields[number].number != 0) {
    diag.error(key_node.location(), "iso8583: fields: field " + key_text + " is defined twice");
    return;
  }
  ConfigReader reader(node, Schema(field_keys), diag, "iso8583 field " + key_text);
  FieldSpec f;
  f.number = number;
  f.key = std::to_string(number);
  f.name = reader.string("name");
  f.label = "field " + f.key + " (" + f.name + ")";
  const std::string what = "field " + f.key;
  if (auto t = choose(reader, "type", type_names, what)) f.type = FieldType(*t);
  if (auto fm = choose(reader, "format", format_names, what)) f.format = LengthFormat(*fm);

  if (reader.node("encoding")) {
    if (auto e = choose(reader, "encoding", encoding_names, what)) {
      f.data = Encoding(*e);
      const bool fits = f.type == FieldType::b ? (f.data == Encoding::binary || f.data == Encoding::hex)
                                               : (f.data == Encoding::ascii || f.data == Encoding::ebcdic ||
                                                  (f.data == Encoding::bcd && is_numeric(f.type)));
      if (!fits)
        diag.error(reader.node("encoding")->location(), "iso8583: " + what + ": type " +
                                                            std::string(type_name(f.type)) + " cannot be encoded as " +
                                                            reader.string("encoding"));
    }
  } else {
    f.data = f.type == FieldType::b ? defaults.binary : is_numeric(f.type) ? defaults.numeric : defaults.text;
  }
  f.prefix = defaults.prefix;
  if (reader.node("prefix")) {
    if (auto e = choose(reader, "prefix", prefix_names, what)) f.prefix = Encoding(*e);
    if (f.format == LengthFormat::fixed)
      diag.error(reader.node("prefix")->location(), "iso8583: " + what + ": a fixed field has no length prefix");
  }
  f.pad = f.format == LengthFormat::fixed ? defaults.fixed_pad : defaults.variable_pad;
  if (reader.node("pad")) {
    if (auto p = choose(reader, "pad", pad_names, what)) f.pad = Pad(*p);
    if (f.data != Encoding::bcd)
      diag.error(reader.node("pad")->location(), "iso8583: " + what + ": pad applies to BCD data only");
  }
  f.fill = f.type == FieldType::n                                                        ? Fill::left_zeros
           : f.type == FieldType::b || f.type == FieldType::z || f.type == FieldType::xn ? Fill::none
                                                                                         : Fill::right_spaces;
  if (reader.node("fill")) {
    if (auto fl = choose(reader, "fill", fill_names, what)) f.fill = Fill(*fl);
    if (f.format != LengthFormat::fixed)
      diag.error(reader.node("fill")->location(), "iso8583: " + what + ": fill applies to fixed fields only");
    if (f.type == FieldType::b && f.fill != Fill::none)
      diag.error(reader.node("fill")->location(), "iso8583: " + what + ": a b field is never filled");
  }

  const std::int64_t length = reader.integer("length");
  const std::uint32_t cap = f.format == LengthFormat::fixed ? 999 : prefix_capacity(f.format, f.prefix);
  if (auto ln = reader.node("length"); ln && (length < 1 || length > cap)) {
    diag.error(ln->location(), "iso8583: " + what + ": length must be between 1 and " + std::to_string(cap) +
                                   (f.format == LengthFormat::fixed ? "" : " for this length prefix"));
  }
  f.length = static_cast<std::uint32_t>(length < 1 || length > cap ? 1 : length);
  if (f.type == FieldType::xn && f.length < 2 && reader.node("length"))
    diag.error(reader.node("length")->location(), "iso8583: " + what + ": an x+n field holds a sign and digits");

  if (reader.boolean("tlv")) {
    f.composite = Composite::tlv;
    if (f.type != FieldType::b)
      diag.error(reader.node("tlv")->location(), "iso8583: " + what + ": tlv needs a b field");
  }
  if (auto subs = reader.node("subfields"); subs && subs->is_sequence()) {
    if (f.composite == Composite::tlv)
      diag.error(subs->location(), "iso8583: " + what + ": tlv or subfields, not both");
    if (f.type == FieldType::b || f.type == FieldType::xn || f.type == FieldType::z)
      diag.error(subs->location(), "iso8583: " + what + ": subfields need an n or text field");
    f.composite = Composite::positional;
    read_subfields(*subs, f, diag);
  }
  spec.highest = std::max(spec.highest, number);
  spec.fields[number] = std::move(f);
}

void read_headers(const ConfigNode& list, Spec& spec, Diagnostics& diag) {
  for (const ConfigNode& item : list.items()) {
    ConfigReader reader(item, Schema(header_keys), diag, "iso8583 header");
    HeaderSpec h;
    h.name = reader.string("name");
    const auto name_node = reader.node("name");
    if (name_node) {
      const bool numeric = !h.name.empty() && h.name.find_first_not_of("0123456789") == std::string::npos;
      if (h.name.empty() || h.name == "mti" || numeric)
        diag.error(name_node->location(),
                   "iso8583: header: name '" + h.name + "' is taken (mti, field numbers) or empty");
      for (const HeaderSpec& other : spec.headers)
        if (other.name == h.name) diag.error(name_node->location(), "iso8583: header: duplicate name '" + h.name + "'");
    }
    const std::int64_t length = reader.integer("length");
    if (auto ln = reader.node("length"); ln && (length < 1 || length > 64))
      diag.error(ln->location(), "iso8583: header: length must be between 1 and 64 bytes");
    h.length = static_cast<std::size_t>(length < 1 || length > 64 ? 1 : length);
    h.tpdu = reader.boolean("tpdu");
    if (h.tpdu && h.length != 5) diag.error(item.location(), "iso8583: header: a TPDU is 5 bytes");
    if (auto d = reader.node("default")) {
      auto bytes = from_hex(reader.string("default"), "default");
      if (!bytes || bytes->size() != h.length)
        diag.error(d->location(), "iso8583: header: default must be " + std::to_string(h.length * 2) + " hex digits");
      else {
        h.has_default = true;
        h.default_bytes = std::move(*bytes);
      }
    }
    spec.headers.push_back(std::move(h));
  }
}

// The defaults, then the dialect's own: each key an error kind or "default", each code as long as
// field 39 (when the dialect defines it).
void read_error_codes(const std::optional<ConfigNode>& node, Spec& spec, Diagnostics& diag) {
  spec.error_codes = {{"bad_input", "30"}, {"check_failed", "30"}, {"too_large", "30"},
                      {"timeout", "91"},   {"unavailable", "91"},  {"default", "96"}};
  if (!node || !node->is_map()) return;
  for (const auto& [key, value] : node->entries()) {
    const std::string kind = key.scalar();
    bool known = kind == "default";
    for (int k = 0; k <= static_cast<int>(ErrorKind::internal) && !known; ++k)
      known = error_kind_name(static_cast<ErrorKind>(k)) == kind;
    if (!known) {
      diag.error(key.location(), "iso8583: error_codes: '" + kind +
                                     "' is not an error kind (bad_input, check_failed, "
                                     "too_large, timeout, unavailable, upstream, flow, rejected, internal) or default");
      continue;
    }
    const std::string code = value.scalar();
    const std::size_t length = spec.defines(39) ? spec.fields[39].length : 2;
    if (code.size() != length) {
      diag.error(value.location(), "iso8583: error_codes: " + kind + ": '" + code + "' is not " +
                                       std::to_string(length) + " characters long, as field 39 is");
      continue;
    }
    spec.error_codes.insert_or_assign(kind, code);
  }
}

Expected<Spec> compile(const ConfigNode& root) {
  Diagnostics diag;
  ConfigReader reader(root, Schema(spec_keys), diag, "iso8583");
  Spec spec;
  spec.file = root.file();
  spec.description = reader.string("description");
  if (auto h = reader.node("headers"); h && h->is_sequence()) read_headers(*h, spec, diag);
  if (auto m = choose(reader, "mti", mti_names, "")) spec.mti = Encoding(*m);
  if (auto b = choose(reader, "bitmap", bitmap_names, "")) spec.bitmap = Encoding(*b);
  const Defaults defaults = read_defaults(reader.node("defaults"), diag);
  if (auto fields = reader.node("fields"); fields && fields->is_map()) {
    for (const auto& [key_node, value] : fields->entries()) read_field(key_node, value, defaults, spec, diag);
    if (spec.highest == 0) diag.error(fields->location(), "iso8583: fields must define at least one field");
  }
  if (auto echo = reader.node("echo"); echo && (echo->is_sequence() || echo->is_scalar())) {
    for (const ConfigNode& item : echo->is_sequence() ? echo->items() : std::vector<ConfigNode>{*echo}) {
      auto n = item.to_int(diag);
      if (!n) continue;
      if (!spec.defines(static_cast<int>(*n)))
        diag.error(item.location(), "iso8583: echo: field " + std::to_string(*n) + " is not defined");
      else spec.echo.push_back(static_cast<int>(*n));
    }
  }
  if (auto mac = reader.node("mac_field")) {
    const std::int64_t n = reader.integer("mac_field");
    if (!spec.defines(static_cast<int>(n)) || spec.fields[n].type != FieldType::b)
      diag.error(mac->location(), "iso8583: mac_field must name a b field the dialect defines");
    else spec.mac_field = static_cast<int>(n);
  }
  read_error_codes(reader.node("error_codes"), spec, diag);
  spec.max_size = reader.size("max_size");
  if (spec.max_size == 0) diag.error(root.location(), "iso8583: max_size must be more than 0");
  if (!diag.ok()) {
    std::string text = diag.text();
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return make_error(ErrorKind::config, std::move(text));
  }
  return spec;
}

}  // namespace

std::string_view type_name(FieldType type) {
  for (const Named& t : type_names)
    if (t.value == int(type)) return t.name;
  return "?";
}

Expected<Spec> parse_spec(std::string_view yaml, const std::string& file_label) {
  auto root = ConfigNode::parse(yaml, file_label);
  if (!root) return std::move(root).error();
  return compile(*root);
}

Expected<Spec> load_spec(const std::string& path) {
  auto root = ConfigNode::load_file(path);
  if (!root) return std::move(root).error();
  return compile(*root);
}

Expected<Spec> load_argument(std::string_view argument, std::string_view base_dir) {
  if (argument.empty())
    return make_error(ErrorKind::config,
                      "iso8583: name a dialect (iso8583:cup) or a spec file (iso8583:config/iso8583/cup.yaml)");
  std::filesystem::path path{std::string(argument)};
  // A bare name without a directory or an extension is a dialect shipped under config/iso8583/.
  const bool dialect_name = argument.find_first_of("/\\.") == std::string_view::npos;
  if (dialect_name) path = std::filesystem::path("config") / "iso8583" / (std::string(argument) + ".yaml");
  if (!path.is_absolute() && !base_dir.empty()) path = std::filesystem::path(std::string(base_dir)) / path;
  if (dialect_name && !std::filesystem::exists(path))
    return make_error(ErrorKind::config,
                      "iso8583: no dialect '" + std::string(argument) + "' (looked for " + path.string() + ")");
  return load_spec(path.string());
}

}  // namespace qiao::iso8583
