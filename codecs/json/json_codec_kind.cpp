#include "codecs/json/json_codec.hpp"

namespace qiao::json {

std::string_view JsonCodecKind::description() const {
  return "JSON (RFC 8259); objects keep their key order, numbers keep the text they were written in; no options";
}

Schema JsonCodecKind::schema() const { return {}; }

std::shared_ptr<const Codec> JsonCodecKind::create(const ConfigReader& /*options*/,
                                                   std::string_view /*base_dir*/) const {
  return std::make_shared<const JsonCodec>();
}

}  // namespace qiao::json
