#include "codecs/hl7v2/hl7_codec.hpp"
#include "core/config/option_checks.hpp"

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
  const OptionChecks checks(options, "codec hl7v2");
  Options parsed;
  if (options.has("charset")) parsed.charset = checks.charset("charset");
  if (const std::string endings = options.string("line_endings"); endings == "any" || endings == "cr")
    parsed.any_line_ending = endings == "any";
  else checks.error("line_endings", "line_endings is cr or any, not '" + endings + "'");
  parsed.max_size = checks.positive_size("max_size");
  parsed.max_segments = static_cast<std::size_t>(checks.positive_integer("max_segments"));
  return std::make_shared<const Hl7Codec>(std::move(parsed));
}

}  // namespace qiao::hl7
