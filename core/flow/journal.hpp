#pragma once
// A flow's `journal:` setting: how much of each of its messages the journal keeps, and the
// business keys (patient, order number …) its rows can be found by.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_node.hpp"
#include "core/lua/lua_program.hpp"

namespace qiao {

class FlowBuilder;

// Mirth's storage ladder. full: the row with the raw bytes in and out; metadata: the row without
// payload bytes (their sizes kept); none: no row at all (metrics and the business log still count).
enum class JournalLevel { full, metadata, none };

std::string_view journal_level_name(JournalLevel level);
std::optional<JournalLevel> parse_journal_level(std::string_view text);

struct JournalKeySpec {
  std::string name;       // as searched: /api/messages?key.NAME=VALUE
  LuaChunkId expression;  // evaluated on the message once the flow ran
  std::string source;     // the expression as written, for logs
};

struct JournalSpec {
  JournalLevel level = JournalLevel::full;
  std::vector<JournalKeySpec> keys;
};

// At most this many keys per flow, each name at most max_journal_key_name bytes: every key is a
// row in an index, written with the message's row.
inline constexpr std::size_t max_journal_keys = 16;
inline constexpr std::size_t max_journal_key_name = 64;
// A longer value is left out (and logged): business keys are identifiers, and the index holds them.
inline constexpr std::size_t max_journal_key_value = 512;

// `node` is `journal: LEVEL` or `journal: { level, keys: { NAME: EXPR } }`; the level defaults to
// `default_level` (qiao.yaml's journal.level). Mistakes go to the builder's diagnostics.
JournalSpec parse_journal(const ConfigNode& node, JournalLevel default_level, FlowBuilder& builder);

}  // namespace qiao
