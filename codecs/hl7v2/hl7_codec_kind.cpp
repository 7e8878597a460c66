#include "codecs/hl7v2/hl7_codec.hpp"
#include "core/text/charset.hpp"

namespace qiao::hl7 {

namespace {

constexpr ConfigKey option_keys[] = {
    {"charset", KeyType::string, "UTF-8", "the bytes' charset when MSH-18 names none (GBK, GB18030, …), both ways"},
    {"line_endings", KeyType::string, "cr", "cr: segments end with CR only; any: LF and CRLF too (encode writes CR)"},
    {"max_size", KeyType::size, "4MiB", "largest message or batch decoded"},
    {"max_segments", KeyType::integer, "10000", "most segments in one message or batch"},
};

}  // namespace

std::string_view Hl7CodecKind::description() const {
  return "HL7 v2 ER7 (pipe-and-hat), lossless: hl7v2 or hl7v2:charset=GBK,line_endings=any";
}

Schema Hl7CodecKind::schema() const { return option_keys; }

std::shared_ptr<const Codec> Hl7CodecKind::create(const ConfigReader& options, std::string_view /*base_dir*/) const {
  Diagnostics& diag = options.diagnostics();
  Options parsed;
  if (auto charset = options.node("charset")) {
    parsed.charset = normalize_charset(options.string("charset"));
    if (!charset_supported(parsed.charset))
      diag.error(charset->location(), "codec hl7v2: charset '" + options.string("charset") + "' is not supported");
  }
  if (const std::string endings = options.string("line_endings"); endings == "any" || endings == "cr") {
    parsed.any_line_ending = endings == "any";
  } else {
    diag.error(options.node("line_endings")->location(),
               "codec hl7v2: line_endings is cr or any, not '" + endings + "'");
  }
  parsed.max_size = options.size("max_size");
  if (parsed.max_size == 0)
    diag.error(options.node("max_size")->location(), "codec hl7v2: max_size must be more than 0");
  const std::int64_t segments = options.integer("max_segments");
  if (segments < 1)
    diag.error(options.node("max_segments")->location(), "codec hl7v2: max_segments must be more than 0");
  parsed.max_segments = static_cast<std::size_t>(segments < 1 ? 1 : segments);
  return std::make_shared<const Hl7Codec>(std::move(parsed));
}

}  // namespace qiao::hl7
