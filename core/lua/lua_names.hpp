#pragma once
// Whether a piece of Lua code can reach one of the locals its chunk header declares (`body`,
// `vars`): a message's body crosses into Lua for a chunk only when the chunk can see it, and
// otherwise on the first read of msg.body.

#include <string_view>

namespace qiao::lua {

// True when `name` occurs in `code` as a name of its own (not a field after `.` or `:`, not in a
// string or a comment), or when the code reads its chunk's arguments with `...`. It errs on the
// side of true: a label or a parameter spelled `name` counts too.
bool code_names(std::string_view code, std::string_view name);

}  // namespace qiao::lua
