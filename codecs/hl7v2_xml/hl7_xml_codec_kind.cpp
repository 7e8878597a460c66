#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"
#include "core/config/option_checks.hpp"

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
  const OptionChecks checks(options, "codec hl7v2-xml");
  Options parsed;
  if (options.has("encoding")) parsed.encoding = checks.charset("encoding");
  parsed.indent = static_cast<std::size_t>(checks.integer_from("indent", 0, static_cast<std::int64_t>(max_indent)));
  parsed.declaration = options.boolean("declaration");
  parsed.max_size = checks.positive_size("max_size");
  parsed.max_segments = static_cast<std::size_t>(checks.positive_integer("max_segments"));
  return std::make_shared<const Hl7XmlCodec>(std::move(parsed));
}

}  // namespace qiao::hl7xml
