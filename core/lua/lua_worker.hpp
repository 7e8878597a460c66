#pragma once
// One worker's Lua state for one generation. Every message runs each piece of Lua in its own
// Lua coroutine; qiao.call yields that coroutine while the endpoint answers, so other messages
// use the same state meanwhile and no thread ever waits.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/flow/reply.hpp"
#include "core/lua/lua_codecs.hpp"
#include "core/lua/lua_program.hpp"
#include "core/lua/lua_value.hpp"
#include "core/value.hpp"

struct lua_State;

namespace qiao {

class FlowRun;

struct LuaOutcome {
  std::vector<Value> values;   // what the code returned (an expression: its value)
  std::optional<Reply> reply;  // when it returned qiao.reply(...)
  bool truthy = false;         // Lua truth of the first returned value (for `when`)
};

// One message's own Lua: the table of its fixed parts (id, headers, source, raw) and its
// environment (the globals its scripts set), made on its first Lua run and reused by the rest, so
// a flow with several Lua steps converts them once and a global set in one step is seen by the next.
class LuaMessageTable {
 public:
  LuaMessageTable() = default;
  LuaMessageTable(const LuaMessageTable&) = delete;
  LuaMessageTable& operator=(const LuaMessageTable&) = delete;
  ~LuaMessageTable();

 private:
  friend class LuaWorker;
  lua_State* state_ = nullptr;
  int ref_ = -2;  // LUA_NOREF
  int environment_ref_ = -2;
  lua::DecimalTexts decimal_texts_;
};

struct LuaLimits {
  std::chrono::milliseconds time_slice{2'000};  // CPU time between two yields
  std::size_t memory_bytes = 256u << 20;        // per state
};

class LuaLibrary;

// How often a message's body and vars crossed between the Value tree and Lua on one worker: each
// crossing converts the whole tree, so a flow whose scripts only read should cross once, into Lua.
struct LuaConversions {
  std::uint64_t pushed = 0;  // a body or vars converted into Lua
  std::uint64_t pulled = 0;  // a body or vars a script changed, converted back
};

class LuaWorker {
 public:
  LuaWorker(const LuaProgram& program, LuaLimits limits, CodecLookup codecs,
            const std::vector<const LuaLibrary*>& libraries = {});
  ~LuaWorker();
  LuaWorker(const LuaWorker&) = delete;
  LuaWorker& operator=(const LuaWorker&) = delete;

  // Runs one chunk for the message of `run`. Block chunks write msg.body and msg.vars back to
  // the message; expressions only read.
  boost::asio::awaitable<Expected<LuaOutcome>> run(LuaChunkId chunk, FlowRun& run);

  const CodecLookup& codecs() const { return codecs_; }
  const LuaConversions& conversions() const { return conversions_; }

 private:
  struct Allocator {
    std::size_t used = 0;
    std::size_t limit = 0;
  };
  static void* allocate(void* ud, void* ptr, std::size_t old_size, std::size_t new_size);

  const LuaProgram& program_;
  LuaLimits limits_;
  CodecLookup codecs_;
  Allocator allocator_;
  lua_State* state_ = nullptr;
  std::vector<int> chunk_refs_;
  LuaConversions conversions_;
  // Coroutines finished runs left, reset, for the next runs (with their registry references): a
  // new thread per run cost a one-line script 4 % of its instructions, in allocation and collection.
  std::vector<std::pair<lua_State*, int>> idle_threads_;

  friend struct ThreadLease;
};

}  // namespace qiao
