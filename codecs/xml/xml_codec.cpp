#include "codecs/xml/xml_codec.hpp"

#include <charconv>

#include "core/text/charset.hpp"

namespace qiao::xml {

namespace {

Error option_error(std::string_view argument, const std::string& what) {
  return make_error(ErrorKind::config, "xml: " + what + " in 'xml:" + std::string(argument) + "'");
}

std::vector<std::string>* list_option(Options& options, std::string_view key) {
  if (key == "arrays") return &options.arrays;
  if (key == "nested") return &options.nested;
  if (key == "cdata") return &options.cdata;
  return nullptr;
}

Expected<std::size_t> parse_size(std::string_view argument, std::string_view key, std::string_view text,
                                 std::size_t low, std::size_t high) {
  std::size_t n = 0;
  std::size_t scale = 1;
  if (!text.empty() && (text.back() == 'K' || text.back() == 'k')) scale = 1024, text.remove_suffix(1);
  else if (!text.empty() && (text.back() == 'M' || text.back() == 'm')) scale = 1024 * 1024, text.remove_suffix(1);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n > high / scale || n * scale < low)
    return option_error(argument, std::string(key) + " must be a number from " + std::to_string(low) + " to " +
                                      std::to_string(high) + ", not '" + std::string(text) + "'");
  return n * scale;
}

}  // namespace

Expected<Options> parse_options(std::string_view argument) {
  Options options;
  std::vector<std::string>* list = nullptr;  // the list a bare name continues: "arrays=Item,OBX"
  std::size_t pos = 0;
  while (pos <= argument.size() && !argument.empty()) {
    std::size_t comma = argument.find(',', pos);
    if (comma == std::string_view::npos) comma = argument.size();
    const std::string_view token = argument.substr(pos, comma - pos);
    pos = comma + 1;
    if (token.empty()) return option_error(argument, "empty option");
    const std::size_t eq = token.find('=');
    if (eq == std::string_view::npos) {
      if (list == nullptr) return option_error(argument, "option '" + std::string(token) + "' lacks '=value'");
      list->emplace_back(token);
      continue;
    }
    const std::string_view key = token.substr(0, eq);
    const std::string_view value = token.substr(eq + 1);
    list = list_option(options, key);
    if (list != nullptr) {
      if (value.empty()) return option_error(argument, std::string(key) + " needs at least one element name");
      list->emplace_back(value);
    } else if (key == "root") {
      options.root = value;
    } else if (key == "xmlns" || key.rfind("xmlns:", 0) == 0) {
      if (key.size() == 6) return option_error(argument, "xmlns: needs a prefix");
      options.namespaces.emplace_back(key, value);
    } else if (key == "encoding") {
      if (!charset_supported(value)) return option_error(argument, "unsupported encoding '" + std::string(value) + "'");
      options.encoding = normalize_charset(value);
    } else if (key == "declaration") {
      if (value != "yes" && value != "no") return option_error(argument, "declaration must be yes or no");
      options.declaration = value == "yes";
    } else if (key == "max_size") {
      auto n = parse_size(argument, key, value, 1, std::size_t{1} << 40);
      if (!n) return std::move(n).error();
      options.max_size = *n;
    } else if (key == "max_depth") {
      auto n = parse_size(argument, key, value, 1, max_depth_limit);
      if (!n) return std::move(n).error();
      options.max_depth = *n;
    } else {
      return option_error(argument, "unknown option '" + std::string(key) +
                                        "' (known: root, arrays, nested, cdata, xmlns, xmlns:<prefix>, encoding, "
                                        "declaration, max_size, max_depth)");
    }
  }
  return options;
}

XmlCodec::XmlCodec(Options options) : options_(std::move(options)) {
  content_type_ = "application/xml; charset=" + (options_.encoding.empty() ? std::string("UTF-8") : options_.encoding);
}

Expected<Value> XmlCodec::decode(const Buffer& bytes) const { return xml::decode(bytes, options_); }

Expected<std::string> XmlCodec::encode(const Value& value) const { return xml::encode(value, options_); }

std::string_view XmlCodecKind::description() const {
  return "XML 1.0 on pugixml: elements as object keys, attributes as @name, repeated elements as arrays; "
         "options root=, arrays=, nested=, cdata=, xmlns:p=, encoding=, declaration=, max_size=, max_depth=";
}

Expected<std::shared_ptr<const Codec>> XmlCodecKind::create(std::string_view argument,
                                                            std::string_view /*base_dir*/) const {
  auto options = parse_options(argument);
  if (!options) return std::move(options).error();
  return std::shared_ptr<const Codec>(std::make_shared<const XmlCodec>(std::move(options).value()));
}

}  // namespace qiao::xml
