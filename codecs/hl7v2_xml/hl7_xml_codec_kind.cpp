#include <algorithm>

#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"
#include "core/text/charset.hpp"

namespace qiao::hl7xml {

namespace {

constexpr ConfigKey option_keys[] = {
    {"encoding", KeyType::string, "UTF-8",
     "decode: the charset of a document that declares none; encode: the charset written and declared"},
    {"indent", KeyType::integer, "0", "encode: spaces per level, 0 to 8; 0 writes one line"},
    {"declaration", KeyType::boolean, "true", "encode: write <?xml version=\"1.0\" encoding=\"…\"?> first"},
    {"max_size", KeyType::size, "16MiB", "largest document decoded or written"},
    {"max_segments", KeyType::integer, "10000", "most segments in one message or batch"},
};

}  // namespace

std::string_view Hl7XmlCodecKind::description() const {
  return "HL7 v2 as XML in the element-per-position form Mirth Connect writes (<HL7Message><PID><PID.5><PID.5.1>), "
         "the same Value as hl7v2";
}

Schema Hl7XmlCodecKind::schema() const { return option_keys; }

std::shared_ptr<const Codec> Hl7XmlCodecKind::create(const ConfigReader& options, std::string_view /*base_dir*/) const {
  Diagnostics& diag = options.diagnostics();
  Options parsed;
  if (auto encoding = options.node("encoding")) {
    if (!charset_supported(options.string("encoding")))
      diag.error(encoding->location(), "codec hl7v2-xml: unsupported encoding '" + options.string("encoding") + "'");
    parsed.encoding = normalize_charset(options.string("encoding"));
  }
  const std::int64_t indent = options.integer("indent");
  if (indent < 0 || indent > static_cast<std::int64_t>(max_indent))
    diag.error(options.node("indent")->location(), "codec hl7v2-xml: indent must be from 0 to " +
                                                       std::to_string(max_indent) + ", not " + std::to_string(indent));
  parsed.indent = static_cast<std::size_t>(std::clamp<std::int64_t>(indent, 0, max_indent));
  parsed.declaration = options.boolean("declaration");
  parsed.max_size = options.size("max_size");
  if (parsed.max_size == 0)
    diag.error(options.node("max_size")->location(), "codec hl7v2-xml: max_size must be more than 0");
  const std::int64_t segments = options.integer("max_segments");
  if (segments < 1)
    diag.error(options.node("max_segments")->location(), "codec hl7v2-xml: max_segments must be more than 0");
  parsed.max_segments = static_cast<std::size_t>(segments < 1 ? 1 : segments);
  return std::make_shared<const Hl7XmlCodec>(std::move(parsed));
}

}  // namespace qiao::hl7xml
