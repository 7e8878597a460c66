#include "codecs/json/register.hpp"

#include <memory>

#include "codecs/json/json_codec.hpp"

namespace qiao::json {

Status register_plugins(Plugins& plugins) { return plugins.codecs.add(std::make_unique<JsonCodecKind>()); }

}  // namespace qiao::json
