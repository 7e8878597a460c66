#include "codecs/json/json_codec.hpp"

namespace qiao::json {

Expected<Value> JsonCodec::decode(const Buffer& bytes) const { return json::decode(bytes); }

Expected<std::string> JsonCodec::encode(const Value& value) const { return json::encode(value); }

std::string_view JsonCodecKind::description() const {
  return "JSON (RFC 8259); objects keep their key order, numbers keep the text they were written in";
}

Expected<std::shared_ptr<const Codec>> JsonCodecKind::create(std::string_view argument,
                                                             std::string_view /*base_dir*/) const {
  if (!argument.empty())
    return make_error(ErrorKind::config,
                      "json: the json codec takes no argument, but got 'json:" + std::string(argument) + "'");
  return std::shared_ptr<const Codec>(std::make_shared<const JsonCodec>());
}

}  // namespace qiao::json
