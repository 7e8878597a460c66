#pragma once
// The Lua library `hl7`, opened as a global in every flow's Lua:
//   hl7.get(body, "PID-5.1")            → string, table (components) or nil
//   hl7.set(body, "PID-3.1", "123")     → the modified body (a new table)
//   hl7.ack(body, "AA"|"AE"|"AR", text) → the ACK as a body, ready for encode: hl7v2
//   hl7.ack_wanted(body, code)          → whether MSH-15/16 ask for that acknowledgement
//   hl7.escape(text [, body])           → free text made safe for a field (hl7_text.hpp)
//   hl7.unescape(text [, body])         → a field's text as a reader should see it
// `body` is a decoded message (table) or ER7 text (decoded as UTF-8, any line ending).

#include <string_view>

#include "core/lua/lua_library.hpp"

namespace qiao::hl7 {

class Hl7LuaLibrary final : public LuaLibrary {
 public:
  std::string_view name() const override { return "hl7"; }
  std::string_view description() const override;
  void open(lua_State* L) const override;
};

}  // namespace qiao::hl7
