#include "codecs/iso8583/iso8583_codec.hpp"

namespace qiao::iso8583 {

namespace {

constexpr ConfigKey option_keys[] = {
    {"spec", KeyType::string, "",
     "a shipped dialect (cup, iso87ascii, iso87binary: config/iso8583/NAME.yaml) or a spec file, relative to the "
     "config directory",
     true},
};

}  // namespace

std::string_view Iso8583CodecKind::description() const {
  return "ISO 8583 bank and card messages, from a dialect spec: a shipped dialect (iso8583:cup, iso8583:iso87ascii, "
         "iso8583:iso87binary) or a spec file (iso8583:config/iso8583/mybank.yaml)";
}

Schema Iso8583CodecKind::schema() const { return option_keys; }

std::shared_ptr<const Codec> Iso8583CodecKind::create(const ConfigReader& options, std::string_view base_dir) const {
  auto spec = load_argument(options.string("spec"), base_dir);
  if (!spec) {
    options.diagnostics().error(options.node("spec")->location(), "codec " + spec.error().message);
    return nullptr;
  }
  return std::make_shared<const Iso8583Codec>(std::move(*spec));
}

}  // namespace qiao::iso8583
