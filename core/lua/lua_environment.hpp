#pragma once
// Isolation of messages that share one worker's Lua state. Every message runs in an environment
// of its own (its `_ENV`): a global a script sets, with or without meaning to (`patient = body.id`
// without `local`), belongs to that message and is gone with it, even while another message's
// code runs between two of its `qiao.call`s. Reads fall through to the shared base — the standard
// libraries, `qiao`, the plugins' libraries — which no script can change: its tables are
// read-only views, and the metatables a script could reach through a string, an array, a reply or
// an error are protected.

struct lua_State;

namespace qiao::lua {

// Turns the state's globals into the shared base; call once, after every library is opened.
void seal_globals(lua_State* L);

// Pushes a new environment for one message.
void push_message_environment(lua_State* L);

// Protects a metatable that values of every message share (getmetatable answers `false`,
// setmetatable refuses); pushes nothing.
void protect_shared_metatable(lua_State* L, int index);

}  // namespace qiao::lua
