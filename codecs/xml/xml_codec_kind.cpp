#include <algorithm>

#include "codecs/xml/xml_codec.hpp"
#include "core/config/option_checks.hpp"

namespace qiao::xml {

namespace {

constexpr ConfigKey option_keys[] = {
    {"root", KeyType::string, "", "encode: the root element when the Value is not already { Root = { … } }"},
    {"arrays", KeyType::strings, "", "decode: elements always decoded as arrays (arrays=Item,OBX)"},
    {"nested", KeyType::strings, "",
     "elements whose text is itself an XML document: decoded in place, an object under them encoded as XML text"},
    {"cdata", KeyType::strings, "", "encode: elements whose text is written as a CDATA section"},
    {"xmlns", KeyType::mapping, "",
     "encode: namespaces declared on the root, prefix → URI in order (xmlns:soap=URI; xmlns=URI is the default one)"},
    {"encoding", KeyType::string, "UTF-8",
     "decode: the charset of a document that declares none; encode: the charset written and declared"},
    {"declaration", KeyType::boolean, "true", "encode: write <?xml version=\"1.0\" encoding=\"…\"?> first"},
    {"max_size", KeyType::size, "16MiB", "largest document decoded"},
    {"max_depth", KeyType::integer, "128", "deepest element nesting decoded or encoded, 1 to 1000"},
};

}  // namespace

std::string_view XmlCodecKind::description() const {
  return "XML 1.0 on pugixml: elements as object keys, attributes as @name, repeated elements as arrays";
}

Schema XmlCodecKind::schema() const { return option_keys; }

std::shared_ptr<const Codec> XmlCodecKind::create(const ConfigReader& options, std::string_view /*base_dir*/) const {
  const OptionChecks checks(options, "codec xml");
  Options parsed;
  parsed.root = options.string("root");
  const std::pair<const char*, std::vector<std::string>*> lists[] = {
      {"arrays", &parsed.arrays}, {"nested", &parsed.nested}, {"cdata", &parsed.cdata}};
  for (const auto& [key, names] : lists) {
    *names = options.strings(key);
    if (std::find(names->begin(), names->end(), "") != names->end())
      checks.error(key, std::string(key) + ": an element name is empty");
  }
  if (auto xmlns = options.node("xmlns")) {
    for (const auto& [prefix, uri] : xmlns->entries()) {
      const std::string name = prefix.scalar();
      parsed.namespaces.emplace_back(name.empty() ? "xmlns" : "xmlns:" + name, uri.scalar());
    }
  }
  if (options.has("encoding")) parsed.encoding = checks.charset("encoding");
  parsed.declaration = options.boolean("declaration");
  parsed.max_size = checks.positive_size("max_size");
  parsed.max_depth =
      static_cast<std::size_t>(checks.integer_from("max_depth", 1, static_cast<std::int64_t>(max_depth_limit)));
  return std::make_shared<const XmlCodec>(std::move(parsed));
}

}  // namespace qiao::xml
