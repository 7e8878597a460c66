#include "core/flow/journal.hpp"

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"

namespace qiao {

namespace {

constexpr ConfigKey journal_keys[] = {
    {"level", KeyType::string, "", "full, metadata or none; default: journal.level in qiao.yaml (full)"},
};

std::optional<JournalLevel> read_level(const ConfigNode& node, Diagnostics& diag) {
  auto level = node.is_scalar() ? parse_journal_level(node.scalar()) : std::nullopt;
  if (!level)
    diag.error(node.location(), "journal: expected full, metadata or none, found '" +
                                    (node.is_scalar() ? node.scalar() : std::string(node.kind_name())) + "'");
  return level;
}

}  // namespace

std::string_view journal_level_name(JournalLevel level) {
  switch (level) {
    case JournalLevel::full: return "full";
    case JournalLevel::metadata: return "metadata";
    case JournalLevel::none: return "none";
  }
  return "full";
}

std::optional<JournalLevel> parse_journal_level(std::string_view text) {
  for (JournalLevel level : {JournalLevel::full, JournalLevel::metadata, JournalLevel::none})
    if (text == journal_level_name(level)) return level;
  return std::nullopt;
}

JournalSpec parse_journal(const ConfigNode& node, JournalLevel default_level, FlowBuilder& builder) {
  Diagnostics& diag = builder.diagnostics();
  JournalSpec spec;
  spec.level = default_level;
  if (!node.is_map()) {
    if (auto level = read_level(node, diag)) spec.level = *level;
    return spec;
  }
  ConfigReader reader(node, journal_keys, diag, "journal");
  if (auto level = reader.node("level")) {
    if (auto parsed = read_level(*level, diag)) spec.level = *parsed;
  }
  return spec;
}

}  // namespace qiao
