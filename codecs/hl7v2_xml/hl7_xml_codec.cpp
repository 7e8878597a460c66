#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"

#include <charconv>

#include "core/text/charset.hpp"

namespace qiao::hl7xml {

namespace {

Error option_error(std::string_view argument, const std::string& what) {
  return make_error(ErrorKind::config, "hl7v2-xml: " + what + " in 'hl7v2-xml:" + std::string(argument) + "'");
}

// A whole number from `low` to `high`; K and M suffixes for sizes.
Expected<std::size_t> parse_number(std::string_view argument, std::string_view key, std::string_view text,
                                   std::size_t low, std::size_t high) {
  const std::string shown(text);
  std::size_t scale = 1;
  if (!text.empty() && (text.back() == 'K' || text.back() == 'k')) scale = 1024, text.remove_suffix(1);
  else if (!text.empty() && (text.back() == 'M' || text.back() == 'm')) scale = 1024 * 1024, text.remove_suffix(1);
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n > high / scale || n * scale < low)
    return option_error(argument, std::string(key) + " must be a number from " + std::to_string(low) + " to " +
                                      std::to_string(high) + ", not '" + shown + "'");
  return n * scale;
}

}  // namespace

Expected<Options> parse_options(std::string_view argument) {
  Options options;
  std::size_t pos = 0;
  while (pos < argument.size()) {
    std::size_t comma = argument.find(',', pos);
    if (comma == std::string_view::npos) comma = argument.size();
    const std::string_view token = argument.substr(pos, comma - pos);
    pos = comma + 1;
    if (token.empty()) return option_error(argument, "empty option");
    const std::size_t eq = token.find('=');
    if (eq == std::string_view::npos) return option_error(argument, "option '" + std::string(token) + "' lacks '=value'");
    const std::string_view key = token.substr(0, eq);
    const std::string_view value = token.substr(eq + 1);
    if (key == "encoding") {
      if (!charset_supported(value)) return option_error(argument, "unsupported encoding '" + std::string(value) + "'");
      options.encoding = normalize_charset(value);
    } else if (key == "indent") {
      auto n = parse_number(argument, key, value, 0, max_indent);
      if (!n) return std::move(n).error();
      options.indent = *n;
    } else if (key == "declaration") {
      if (value != "yes" && value != "no") return option_error(argument, "declaration must be yes or no");
      options.declaration = value == "yes";
    } else if (key == "max_size") {
      auto n = parse_number(argument, key, value, 1, std::size_t{1} << 40);
      if (!n) return std::move(n).error();
      options.max_size = *n;
    } else if (key == "max_segments") {
      auto n = parse_number(argument, key, value, 1, std::size_t{1} << 30);
      if (!n) return std::move(n).error();
      options.max_segments = *n;
    } else {
      return option_error(argument, "unknown option '" + std::string(key) +
                                        "' (known: encoding, indent, declaration, max_size, max_segments)");
    }
  }
  return options;
}

Hl7XmlCodec::Hl7XmlCodec(Options options) : options_(std::move(options)) {
  content_type_ = "application/xml; charset=" + (options_.encoding.empty() ? std::string("UTF-8") : options_.encoding);
}

std::string_view Hl7XmlCodecKind::description() const {
  return "HL7 v2 as XML in the element-per-position form Mirth Connect writes (<HL7Message><PID><PID.5><PID.5.1>), "
         "the same Value as hl7v2; options encoding=, indent=, declaration=, max_size=, max_segments=";
}

Expected<std::shared_ptr<const Codec>> Hl7XmlCodecKind::create(std::string_view argument,
                                                               std::string_view /*base_dir*/) const {
  auto options = parse_options(argument);
  if (!options) return std::move(options).error();
  return std::shared_ptr<const Codec>(std::make_shared<const Hl7XmlCodec>(std::move(options).value()));
}

}  // namespace qiao::hl7xml
