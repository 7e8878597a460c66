#pragma once
// The Lua library `mac`, opened as a global in every flow's Lua:
//   mac.x99(key_hex, data [, padding])      → 16 upper-case hex digits (the 8 MAC bytes)
//   mac.x919(key_hex, data [, padding])     → 16 upper-case hex digits
//   mac.cup_pos(key_hex, data)              → 8 upper-case hex characters, which are the MAC itself
//   mac.hex(bytes), mac.unhex(hex)          → conversions, e.g. raw bytes for a binary field 64
// `padding` is the ISO 9797-1 method: 1 (zeros, the default) or 2 (0x80 then zeros).
// `data` is a Lua string of any bytes. Mistakes raise "mac: …" errors.

#include <string_view>

#include "core/lua/lua_library.hpp"

namespace qiao::crypto {

class MacLuaLibrary final : public LuaLibrary {
 public:
  std::string_view name() const override { return "mac"; }
  std::string_view description() const override;
  void open(lua_State* L) const override;
};

}  // namespace qiao::crypto
