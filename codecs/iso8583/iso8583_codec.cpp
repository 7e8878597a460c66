#include "codecs/iso8583/iso8583_codec.hpp"

namespace qiao::iso8583 {

std::string_view Iso8583CodecKind::description() const {
  return "ISO 8583 bank and card messages, from a dialect spec: a shipped dialect (iso8583:cup, iso8583:iso87ascii, "
         "iso8583:iso87binary) or a spec file (iso8583:config/iso8583/mybank.yaml)";
}

Expected<std::shared_ptr<const Codec>> Iso8583CodecKind::create(std::string_view argument,
                                                                std::string_view base_dir) const {
  auto spec = load_argument(argument, base_dir);
  if (!spec) return std::move(spec).error();
  return std::shared_ptr<const Codec>(std::make_shared<const Iso8583Codec>(std::move(*spec)));
}

}  // namespace qiao::iso8583
