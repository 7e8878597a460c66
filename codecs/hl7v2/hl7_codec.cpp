#include "codecs/hl7v2/hl7_codec.hpp"

#include <charconv>

#include "core/text/charset.hpp"

namespace qiao::hl7 {

namespace {

Error config_error(std::string text) { return make_error(ErrorKind::config, "hl7v2: " + std::move(text)); }

Expected<std::size_t> parse_size(std::string_view key, std::string_view text) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0)
    return config_error(std::string(key) + " must be a positive whole number, not '" + std::string(text) + "'");
  return n;
}

}  // namespace

Expected<Options> parse_options(std::string_view argument) {
  Options options;
  while (!argument.empty()) {
    const std::size_t comma = argument.find(',');
    std::string_view item = argument.substr(0, comma);
    argument = comma == std::string_view::npos ? std::string_view() : argument.substr(comma + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return config_error("option '" + std::string(item) + "' needs a value (e.g. charset=GBK)");
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "charset") {
      options.charset = normalize_charset(value);
      if (!charset_supported(options.charset)) return config_error("charset '" + std::string(value) + "' is not supported");
    } else if (key == "line_endings") {
      if (value == "any") options.any_line_ending = true;
      else if (value == "cr") options.any_line_ending = false;
      else return config_error("line_endings is cr or any, not '" + std::string(value) + "'");
    } else if (key == "max_size") {
      auto n = parse_size(key, value);
      if (!n) return std::move(n).error();
      options.max_size = *n;
    } else if (key == "max_segments") {
      auto n = parse_size(key, value);
      if (!n) return std::move(n).error();
      options.max_segments = *n;
    } else {
      return config_error("unknown option '" + std::string(key) +
                          "' (known: charset, line_endings, max_size, max_segments)");
    }
  }
  return options;
}

std::string_view Hl7CodecKind::description() const {
  return "HL7 v2 ER7 (pipe-and-hat), lossless; options charset=GBK, line_endings=cr|any, max_size=N, "
         "max_segments=N";
}

Expected<std::shared_ptr<const Codec>> Hl7CodecKind::create(std::string_view argument,
                                                            std::string_view /*base_dir*/) const {
  auto options = parse_options(argument);
  if (!options) return std::move(options).error();
  return std::shared_ptr<const Codec>(std::make_shared<const Hl7Codec>(std::move(*options)));
}

}  // namespace qiao::hl7
