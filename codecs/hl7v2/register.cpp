#include "codecs/hl7v2/register.hpp"

#include <memory>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/hl7_lua.hpp"

namespace qiao::hl7 {

Status register_plugins(Plugins& plugins) {
  if (auto added = plugins.codecs.add(std::make_unique<Hl7CodecKind>()); !added) return added;
  return plugins.lua_libraries.add(std::make_unique<Hl7LuaLibrary>());
}

}  // namespace qiao::hl7
