#pragma once
// The Lua library `iso8583`, opened as a global in every flow's Lua. Its functions take the codec
// name first, because the dialect lives in the codec's spec:
//   iso8583.response("iso8583:cup", request)  → the response skeleton (MTI +10, echoed fields,
//                                                TPDU swapped), a table ready for encode
//   iso8583.mac_input("iso8583:cup", message) → the bytes a MAC covers (MTI up to the MAC field)
// `request` and `message` are decoded messages (tables) or packed bytes (strings).

#include <string_view>

#include "core/lua/lua_library.hpp"

namespace qiao::iso8583 {

class Iso8583LuaLibrary final : public LuaLibrary {
 public:
  std::string_view name() const override { return "iso8583"; }
  std::string_view description() const override;
  void open(lua_State* L) const override;
  std::vector<std::string_view> codec_functions() const override { return {"response", "mac_input"}; }
};

}  // namespace qiao::iso8583
