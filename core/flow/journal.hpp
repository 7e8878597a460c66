#pragma once
// A flow's `journal:` setting: how much of each of its messages the journal keeps.

#include <optional>
#include <string>
#include <string_view>

#include "core/config/config_node.hpp"

namespace qiao {

class FlowBuilder;

// Mirth's storage ladder. full: the row with the raw bytes in and out; metadata: the row without
// payload bytes (their sizes kept); none: no row at all (metrics and the business log still count).
enum class JournalLevel { full, metadata, none };

std::string_view journal_level_name(JournalLevel level);
std::optional<JournalLevel> parse_journal_level(std::string_view text);

struct JournalSpec {
  JournalLevel level = JournalLevel::full;
};

// `node` is `journal: LEVEL` or `journal: { level }`; the level defaults to
// `default_level` (qiao.yaml's journal.level). Mistakes go to the builder's diagnostics.
JournalSpec parse_journal(const ConfigNode& node, JournalLevel default_level, FlowBuilder& builder);

}  // namespace qiao
