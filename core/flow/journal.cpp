#include "core/flow/journal.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"

namespace qiao {

namespace {

constexpr ConfigKey journal_keys[] = {
    {"level", KeyType::string, "", "full, metadata or none; default: journal.level in qiao.yaml (full)"},
    {"keys", KeyType::mapping, "",
     "business keys the journal indexes, NAME: Lua expression evaluated after the flow ran (body.patientId)"},
};

bool valid_key_name(const std::string& name) {
  return !name.empty() && name.size() <= max_journal_key_name && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

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
  auto keys = reader.node("keys");
  if (!keys || !keys->is_map()) return spec;
  if (spec.level == JournalLevel::none) {
    diag.error(keys->location(), "journal: keys need a row to be found by, and level none keeps no row");
    return spec;
  }
  const auto entries = keys->entries();
  if (entries.size() > max_journal_keys)
    diag.error(keys->location(), "journal: at most " + std::to_string(max_journal_keys) + " keys per flow");
  std::set<std::string> seen;
  for (const auto& [name_node, expression] : entries) {
    const std::string name = name_node.scalar();
    if (!valid_key_name(name)) {
      diag.error(name_node.location(), "journal key '" + name +
                                           "' may use only letters, digits, '-' and '_' (at most " +
                                           std::to_string(max_journal_key_name) + ")");
      continue;
    }
    if (!seen.insert(name).second) {
      diag.error(name_node.location(), "journal key '" + name + "' is named twice");
      continue;
    }
    if (!expression.is_scalar() || expression.scalar().empty()) {
      diag.error(expression.location(), "journal key '" + name + "': expected a Lua expression such as body.patientId");
      continue;
    }
    spec.keys.push_back(JournalKeySpec{name, builder.lua(expression, LuaChunkKind::expression), expression.scalar()});
  }
  return spec;
}

}  // namespace qiao
