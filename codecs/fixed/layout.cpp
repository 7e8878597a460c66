// Layout files: YAML read through ConfigNode/ConfigReader against the schemas below, so every
// mistake (unknown key, wrong type, impossible combination) comes out as file:line:col, all of a
// file's mistakes at once.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "codecs/fixed/detail.hpp"
#include "core/config/config_node.hpp"
#include "core/config/option_checks.hpp"
#include "core/text/charset.hpp"

namespace qiao::fixed {

namespace {

constexpr std::array<ConfigKey, 11> layout_keys{{
    {"description", KeyType::string, "", "what the file is (documentation only)"},
    {"charset", KeyType::string, "UTF-8",
     "the bytes' character set: UTF-8, GBK, GB18030, GB2312, BIG5, ISO-8859-1, …; "
     "lengths count bytes in it, values are always UTF-8"},
    {"terminator", KeyType::string, "any",
     "between records: lf, crlf, any (LF or CRLF in, CRLF out) or none (back-to-back)"},
    {"final_terminator", KeyType::boolean, "true", "encode ends the last record with the terminator too"},
    {"discriminator", KeyType::mapping, "",
     "the bytes that tell record types apart: {start, length} or {field}; "
     "absent: header first, trailer last, details between"},
    {"header", KeyType::mapping, "", "the record before the details (once)"},
    {"detail", KeyType::mapping, "", "the repeated record"},
    {"trailer", KeyType::mapping, "", "the record after the details (once)"},
    {"record", KeyType::mapping, "", "the one record of a single-record layout (instead of header/detail/trailer)"},
    {"max_size", KeyType::size, "64MiB", "largest input accepted"},
    {"max_records", KeyType::integer, "1000000", "most records accepted, header and trailer included"},
}};

constexpr std::array<ConfigKey, 4> record_keys{{
    {"description", KeyType::string, "", "what the record is (documentation only)"},
    {"match", KeyType::string, "", "the discriminator's value for this record type, e.g. \"D1\""},
    {"length", KeyType::integer, "", "the record's length in bytes; checked against the fields"},
    {"fields", KeyType::sequence, "", "the fields in order, each {name, length, …}", true},
}};

constexpr std::array<ConfigKey, 13> field_keys{{
    {"name", KeyType::string, "", "the key of this field in the record object", true},
    {"length", KeyType::integer, "", "bytes in the record's charset (a GBK Chinese character is 2)", true},
    {"type", KeyType::string, "string", "string, integer, decimal or date"},
    {"align", KeyType::string, "", "left or right; default left for string and date, right for numbers"},
    {"pad", KeyType::string, "", "one ASCII character filling the rest; default space, '0' for numbers"},
    {"scale", KeyType::integer, "", "decimal (required): digits after the point; implied unless point: explicit"},
    {"point", KeyType::string, "implied",
     "decimal: implied (000012345 is 123.45 at scale 2) or explicit (the '.' is written)"},
    {"sign", KeyType::string, "none",
     "numbers: none, leading, trailing (a '+'/'-' byte), minus ('-' before the digits) "
     "or overpunch (in the last digit)"},
    {"format", KeyType::string, "", "date: yyyy MM dd HH mm ss and literal characters, e.g. yyyyMMdd, HHmmss"},
    {"required", KeyType::boolean, "false", "a blank field is an error on decode, a missing value on encode"},
    {"truncate", KeyType::boolean, "false",
     "string: encode cuts a long value at a character boundary instead of failing"},
    {"default", KeyType::string, "",
     "written when the record object lacks the field (null writes a blank field); the discriminator field's is its "
     "match"},
    {"description", KeyType::string, "", "what the field means (documentation only)"},
}};

constexpr std::array<ConfigKey, 3> discriminator_keys{{
    {"start", KeyType::integer, "1", "first byte of the discriminator, counting from 1"},
    {"length", KeyType::integer, "", "how many bytes"},
    {"field", KeyType::string, "", "instead of start/length: a field every record type has at the same place"},
}};

using detail::quoted;

class LayoutReader {
 public:
  explicit LayoutReader(Diagnostics& diag) : diag_(diag) {}

  void read(const ConfigNode& root, Layout& layout) {
    ConfigReader reader(root, Schema(layout_keys), diag_, "fixed");
    read_charset(reader, layout);
    read_terminator(reader, layout);
    layout.final_terminator = reader.boolean("final_terminator");
    const OptionChecks checks(reader, "fixed");
    if (reader.has("max_size")) layout.max_size = checks.positive_size("max_size");
    if (reader.has("max_records"))
      layout.max_records = static_cast<std::uint64_t>(checks.positive_integer("max_records"));

    const auto record = reader.node("record");
    const auto detail = reader.node("detail");
    if (record && (detail || reader.has("header") || reader.has("trailer"))) {
      diag_.error(record->location(),
                  "fixed: a layout has either record (one record) or header/detail/trailer, not both");
    } else if (!record && !detail) {
      diag_.error(root.location(),
                  "fixed: a layout needs record (one record) or detail (with optional header and trailer)");
    }
    if (record && record->is_map()) {
      layout.single = true;
      layout.detail = read_record(*record, "record", layout);
      if (auto d = reader.node("discriminator"))
        diag_.error(d->location(), "fixed: a single-record layout has no discriminator");
      return;
    }
    if (auto header = reader.node("header"); header && header->is_map())
      layout.header = read_record(*header, "header", layout);
    if (detail && detail->is_map()) layout.detail = read_record(*detail, "detail", layout);
    if (auto trailer = reader.node("trailer"); trailer && trailer->is_map())
      layout.trailer = read_record(*trailer, "trailer", layout);
    read_discriminator(reader, root, layout);
  }

 private:
  void read_charset(const ConfigReader& reader, Layout& layout) {
    const std::string charset = reader.string("charset");
    const auto where = reader.node("charset");
    if (!charset_supported(charset)) {
      diag_.error(where->location(), "fixed: charset " + quoted(charset) + " is not a character set iconv knows");
      return;
    }
    layout.charset = normalize_charset(charset);
    if (auto family = detail::charset_family(layout.charset)) {
      layout.family = *family;
    } else {
      diag_.error(where->location(), "fixed: charset " + quoted(charset) +
                                         ": fixed-length layouts support UTF-8, GBK, GB2312, GB18030, BIG5, EUC-KR "
                                         "and single-byte charsets (ISO-8859-x, Windows-125x)");
    }
  }

  void read_terminator(const ConfigReader& reader, Layout& layout) {
    const std::string t = reader.string("terminator");
    if (t == "any") layout.terminator = Terminator::any;
    else if (t == "lf" || t == "LF") layout.terminator = Terminator::lf;
    else if (t == "crlf" || t == "CRLF") layout.terminator = Terminator::crlf;
    else if (t == "none") layout.terminator = Terminator::none;
    else
      diag_.error(reader.node("terminator")->location(),
                  "fixed: terminator must be lf, crlf, any or none, not " + quoted(t));
  }

  RecordType read_record(const ConfigNode& node, std::string name, const Layout& layout) {
    ConfigReader reader(node, Schema(record_keys), diag_, "fixed " + name);
    RecordType record;
    record.name = std::move(name);
    if (auto match = reader.node("match")) {
      if (layout.single) {
        diag_.error(match->location(), "fixed record: a single-record layout has no match");
      } else if (auto bytes = from_utf8(reader.string("match"), layout.charset); !bytes) {
        diag_.error(match->location(), "fixed " + record.name + ": match cannot be written in " +
                                           std::string(detail::charset_label(layout)));
      } else if (bytes->empty()) {
        diag_.error(match->location(), "fixed " + record.name + ": match must not be empty");
      } else {
        record.match = std::move(*bytes);
        match_nodes_.push_back(*match);
      }
    }
    if (auto fields = reader.node("fields"); fields && fields->is_sequence()) {
      for (const ConfigNode& item : fields->items()) {
        Field field = read_field(item, record);
        field.offset = record.length;
        record.length += field.length;
        record.fields.push_back(std::move(field));
      }
      if (record.fields.empty())
        diag_.error(fields->location(), "fixed " + record.name + ": fields must list at least one field");
    }
    if (auto length = reader.node("length")) {
      const std::int64_t declared = reader.integer("length");
      if (declared != static_cast<std::int64_t>(record.length) && !record.fields.empty())
        diag_.error(length->location(), "fixed " + record.name + ": length is " + std::to_string(declared) +
                                            " but the fields add up to " + std::to_string(record.length));
    }
    return record;
  }

  Field read_field(const ConfigNode& item, const RecordType& record) {
    const std::string what = "fixed " + record.name + " field";
    ConfigReader reader(item, Schema(field_keys), diag_, what);
    Field field;
    field.name = reader.string("name");
    const auto at = [&](std::string_view key) {
      return reader.node(key) ? reader.node(key)->location() : item.location();
    };
    const auto error = [&](std::string_view key, const std::string& message) {
      diag_.error(at(key), what + " " + quoted(field.name) + ": " + message);
    };
    if (reader.node("name") && field.name.empty()) error("name", "name must not be empty");
    for (const Field& other : record.fields)
      if (!field.name.empty() && other.name == field.name) error("name", "the record names it twice");

    if (reader.has("length")) {
      const std::int64_t length = reader.integer("length");
      if (length < 1 || length > 65536) error("length", "length must be between 1 and 65536");
      else field.length = static_cast<std::size_t>(length);
    }

    const std::string type = reader.string("type");
    if (type == "string") field.type = FieldType::string;
    else if (type == "integer") field.type = FieldType::integer;
    else if (type == "decimal") field.type = FieldType::decimal;
    else if (type == "date") field.type = FieldType::date;
    else error("type", "type must be string, integer, decimal or date, not " + quoted(type));
    const bool number = field.type == FieldType::integer || field.type == FieldType::decimal;

    field.align = number ? Align::right : Align::left;
    if (reader.has("align")) {
      const std::string align = reader.string("align");
      if (align == "left") field.align = Align::left;
      else if (align == "right") field.align = Align::right;
      else error("align", "align must be left or right, not " + quoted(align));
    }
    field.pad = number ? '0' : ' ';
    if (reader.has("pad")) {
      const std::string pad = reader.string("pad");
      if (pad.size() != 1 || static_cast<unsigned char>(pad[0]) < 0x20 || static_cast<unsigned char>(pad[0]) > 0x7E)
        error("pad", "pad must be one printable ASCII character, not " + quoted(pad));
      else field.pad = pad[0];
    }
    if (number && field.pad == '0' && field.align == Align::left)
      error("pad", "a number padded with '0' must be right-aligned (left, its zeros would change the value)");
    if (number && field.pad >= '1' && field.pad <= '9')
      error("pad", "a number cannot be padded with a digit other than 0");

    if (reader.has("scale")) {
      const std::int64_t scale = reader.integer("scale");
      if (field.type != FieldType::decimal) error("scale", "scale applies to decimal fields only");
      else if (scale < 0 || scale > 18) error("scale", "scale must be between 0 and 18");
      else field.scale = static_cast<int>(scale);
    } else if (field.type == FieldType::decimal) {
      error("type", "a decimal field needs scale (digits after the point; 2 for amounts in fen)");
    }
    if (reader.has("point")) {
      const std::string point = reader.string("point");
      if (field.type != FieldType::decimal) error("point", "point applies to decimal fields only");
      else if (point == "explicit") field.explicit_point = true;
      else if (point != "implied") error("point", "point must be implied or explicit, not " + quoted(point));
    }
    if (reader.has("sign")) {
      const std::string sign = reader.string("sign");
      if (sign == "none") field.sign = Sign::none;
      else if (sign == "leading") field.sign = Sign::leading;
      else if (sign == "trailing") field.sign = Sign::trailing;
      else if (sign == "minus") field.sign = Sign::minus;
      else if (sign == "overpunch") field.sign = Sign::overpunch;
      else error("sign", "sign must be none, leading, trailing, minus or overpunch, not " + quoted(sign));
      if (!number && field.sign != Sign::none) error("sign", "sign applies to integer and decimal fields only");
      if ((field.sign == Sign::leading || field.sign == Sign::trailing) && field.length == 1)
        error("sign", "a field with a sign byte needs a length of at least 2");
    }
    if (number && (field.pad == '+' || field.pad == '-' || field.pad == '.'))
      error("pad", "a number cannot be padded with " + quoted(std::string(1, field.pad)));

    if (reader.has("format")) {
      if (field.type != FieldType::date) error("format", "format applies to date fields only");
      field.format = reader.string("format");
    }
    if (field.type == FieldType::date) {
      if (auto compiled = detail::compile_date(field); !compiled) {
        error("format", compiled.error().message);
      } else if (field.length != 0 && field.date.width() > field.length) {
        error("length", "the format " + quoted(field.format) + " needs " + std::to_string(field.date.width()) +
                            " bytes, the field has " + std::to_string(field.length));
      }
    }
    field.required = reader.boolean("required");
    if (reader.has("truncate")) {
      field.truncate = reader.boolean("truncate");
      if (field.type != FieldType::string) error("truncate", "truncate applies to string fields only");
    }
    if (reader.has("default")) {
      defaults_.push_back({reader.node("default")->location(), record.name, field.name});
      field.default_value = reader.string("default");
    }
    return field;
  }

  void read_discriminator(const ConfigReader& reader, const ConfigNode& root, Layout& layout) {
    std::vector<RecordType*> records{&layout.detail};
    if (layout.header) records.insert(records.begin(), &*layout.header);
    if (layout.trailer) records.push_back(&*layout.trailer);
    const auto node = reader.node("discriminator");
    if (!node || !node->is_map()) {
      for (const ConfigNode& match : match_nodes_)
        diag_.error(match.location(),
                    "fixed: match needs a discriminator (records are otherwise told apart by position)");
      return;
    }
    ConfigReader d(*node, Schema(discriminator_keys), diag_, "fixed discriminator");
    if (d.has("field")) {
      if (d.has("start") || d.has("length"))
        diag_.error(node->location(), "fixed discriminator: give field, or start and length, not both");
      const std::string name = d.string("field");
      bool placed = false;
      for (RecordType* record : records) {
        const Field* found = nullptr;
        for (const Field& f : record->fields)
          if (f.name == name) found = &f;
        if (found == nullptr) {
          if (!record->fields.empty())
            diag_.error(d.node("field")->location(),
                        "fixed discriminator: the " + record->name + " record has no field " + quoted(name));
          continue;
        }
        if (placed && (found->offset != layout.discriminator_offset || found->length != layout.discriminator_length))
          diag_.error(d.node("field")->location(),
                      "fixed discriminator: field " + quoted(name) + " is not at the same place in every record");
        layout.discriminator_offset = found->offset;
        layout.discriminator_length = found->length;
        placed = true;
      }
    } else {
      if (!d.has("length")) {
        diag_.error(node->location(), "fixed discriminator: needs length (and start, default 1) or field");
        return;
      }
      const std::int64_t start = d.integer("start");
      const std::int64_t length = d.integer("length");
      if (start < 1)
        diag_.error(d.node("start") ? d.node("start")->location() : node->location(),
                    "fixed discriminator: start counts from 1");
      if (length < 1) diag_.error(d.node("length")->location(), "fixed discriminator: length must be at least 1");
      if (start < 1 || length < 1) return;
      layout.discriminator_offset = static_cast<std::size_t>(start - 1);
      layout.discriminator_length = static_cast<std::size_t>(length);
    }
    for (RecordType* record : records) {
      if (record->fields.empty()) continue;
      if (record->match.empty()) {
        diag_.error(root.location(), "fixed " + record->name + ": needs match (the discriminator's value)");
        continue;
      }
      if (record->match.size() != layout.discriminator_length)
        diag_.error(root.location(), "fixed " + record->name + ": match " + quoted(record->match) + " is " +
                                         std::to_string(record->match.size()) + " bytes, the discriminator " +
                                         std::to_string(layout.discriminator_length));
      if (layout.discriminator_offset + layout.discriminator_length > record->length)
        diag_.error(root.location(), "fixed " + record->name + ": the discriminator lies beyond the record's " +
                                         std::to_string(record->length) + " bytes");
      for (RecordType* other : records)
        if (other != record && other < record && other->match == record->match)
          diag_.error(root.location(), "fixed " + record->name + ": match " + quoted(record->match) + " is also the " +
                                           other->name + " record's");
      // The field that is exactly the discriminator writes the match when a flow leaves it out.
      for (Field& field : record->fields)
        if (field.offset == layout.discriminator_offset && field.length == layout.discriminator_length &&
            !field.default_value)
          field.default_value = *to_utf8(record->match, layout.charset);
    }
  }

 public:
  struct DefaultAt {
    Location where;
    std::string record;
    std::string field;
  };
  std::vector<DefaultAt> defaults_;

 private:
  Diagnostics& diag_;
  std::vector<ConfigNode> match_nodes_;
};

}  // namespace

Schema layout_schema() { return Schema(layout_keys); }
Schema record_schema() { return Schema(record_keys); }
Schema field_schema() { return Schema(field_keys); }
Schema discriminator_schema() { return Schema(discriminator_keys); }

namespace {

Expected<Layout> read_layout(Expected<ConfigNode> root) {
  if (!root) return std::move(root).error();
  Diagnostics diag;
  Layout layout;
  LayoutReader reader(diag);
  reader.read(*root, layout);
  // A default must be writable into its field: found now, with its line, not on the first message.
  if (diag.ok()) {
    for (const auto& at : reader.defaults_) {
      const RecordType* record = layout.single            ? &layout.detail
                                 : at.record == "header"  ? &*layout.header
                                 : at.record == "trailer" ? &*layout.trailer
                                                          : &layout.detail;
      for (const Field& field : record->fields) {
        if (field.name != at.field) continue;
        std::string out;
        if (auto written = detail::encode_field(Value(*field.default_value), field, layout, out); !written)
          diag.error(at.where,
                     "fixed " + at.record + " field " + quoted(field.name) + ": default: " + written.error().message);
      }
    }
  }
  if (!diag.ok()) {
    std::string text = diag.text();
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return make_error(ErrorKind::config, std::move(text));
  }
  return layout;
}

}  // namespace

Expected<Layout> load_layout(const std::string& path) { return read_layout(ConfigNode::load_file(path)); }

Expected<Layout> parse_layout(std::string_view yaml, const std::string& file_label) {
  return read_layout(ConfigNode::parse(yaml, file_label));
}

}  // namespace qiao::fixed
