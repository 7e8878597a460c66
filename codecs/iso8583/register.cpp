#include "codecs/iso8583/register.hpp"

#include <memory>

#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/iso8583_lua.hpp"
#include "codecs/iso8583/mac_step.hpp"

namespace qiao::iso8583 {

Status register_plugins(Plugins& plugins) {
  if (auto added = plugins.codecs.add(std::make_unique<Iso8583CodecKind>()); !added) return added;
  if (auto added = plugins.steps.add(make_mac_step_kind()); !added) return added;
  return plugins.lua_libraries.add(std::make_unique<Iso8583LuaLibrary>());
}

}  // namespace qiao::iso8583
