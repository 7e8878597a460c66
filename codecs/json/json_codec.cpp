#include "codecs/json/json_codec.hpp"

namespace qiao::json {

Expected<Value> JsonCodec::decode(const Buffer& bytes) const { return json::decode(bytes); }

Expected<std::string> JsonCodec::encode(const Value& value) const { return json::encode(value); }

}  // namespace qiao::json
