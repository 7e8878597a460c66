#include "crypto/register.hpp"

#include <memory>

#include "crypto/mac_lua.hpp"

namespace qiao::crypto {

Status register_plugins(Plugins& plugins) { return plugins.lua_libraries.add(std::make_unique<MacLuaLibrary>()); }

}  // namespace qiao::crypto
