#include "core/codec_name.hpp"

#include <string>
#include <utility>
#include <vector>

namespace qiao {

namespace {

std::string what_of(const CodecKind& kind) { return "codec " + std::string(kind.name()); }

const ConfigKey* find_key(const CodecKind& kind, std::string_view name) {
  for (const ConfigKey& key : kind.schema())
    if (key.name == name) return &key;
  return nullptr;
}

// One option as the text wrote it, shaped by its key's type.
struct SplitOption {
  std::string key;
  std::vector<std::string> values;                           // one for a scalar; a list's items
  std::vector<std::pair<std::string, std::string>> entries;  // a mapping option's entries
  KeyType type = KeyType::string;
};

ConfigNode to_node(const SplitOption& option, const Location& where) {
  if (option.type == KeyType::mapping) {
    std::vector<std::pair<std::string, ConfigNode>> entries;
    for (const auto& [name, value] : option.entries) entries.emplace_back(name, ConfigNode::scalar_at(value, where));
    return ConfigNode::mapping_at(entries, where);
  }
  if (option.type == KeyType::strings || option.type == KeyType::sequence || option.values.size() > 1) {
    std::vector<ConfigNode> items;
    for (const std::string& value : option.values) items.push_back(ConfigNode::scalar_at(value, where));
    return ConfigNode::sequence_at(items, where);
  }
  return ConfigNode::scalar_at(option.values.front(), where);
}

const CodecKind* find_kind(const Registry<CodecKind>& kinds, const std::string& name, const Location& where,
                           Diagnostics& diag) {
  const CodecKind* kind = kinds.find(name);
  if (!kind) diag.error(where, "unknown codec '" + name + "' (known: " + kinds.names_joined() + ")");
  return kind;
}

std::shared_ptr<const Codec> create(const CodecKind& kind, const ConfigNode& options, std::string_view base_dir,
                                    Diagnostics& diag) {
  const std::size_t errors_before = diag.errors().size();
  ConfigReader reader(options, kind.schema(), diag, what_of(kind));
  if (diag.errors().size() != errors_before) return nullptr;
  auto codec = kind.create(reader, base_dir);
  return diag.errors().size() == errors_before ? codec : nullptr;
}

}  // namespace

ConfigNode split_codec_options(std::string_view options, const CodecKind& kind, const Location& where,
                               Diagnostics& diag) {
  std::vector<SplitOption> split;
  SplitOption* list = nullptr;  // the list option a bare item continues
  bool first = true;
  while (!options.empty()) {
    const std::size_t comma = options.find(',');
    const std::string_view item = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
    const bool was_first = std::exchange(first, false);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      if (list) {
        list->values.emplace_back(item);
      } else if (was_first && !kind.argument_key().empty()) {
        split.push_back(SplitOption{std::string(kind.argument_key()), {std::string(item)}, {}, KeyType::string});
      } else {
        diag.error(where, what_of(kind) + ": option '" + std::string(item) + "' needs a value (write " +
                              std::string(item) + "=…)");
      }
      continue;
    }
    std::string_view key = item.substr(0, eq);
    std::string entry;
    if (const std::size_t colon = key.find(':'); colon != std::string_view::npos) {
      entry = std::string(key.substr(colon + 1));
      key = key.substr(0, colon);
    }
    const ConfigKey* spec = find_key(kind, key);
    const KeyType type = spec ? spec->type : KeyType::string;
    SplitOption* existing = nullptr;
    for (SplitOption& option : split)
      if (option.key == key) existing = &option;
    list = nullptr;
    if (type == KeyType::mapping) {
      if (!existing) existing = &split.emplace_back(SplitOption{std::string(key), {}, {}, type});
      existing->entries.emplace_back(std::move(entry), std::string(item.substr(eq + 1)));
    } else if (type == KeyType::strings) {
      if (!existing) existing = &split.emplace_back(SplitOption{std::string(key), {}, {}, type});
      existing->values.emplace_back(item.substr(eq + 1));
      list = existing;
    } else if (existing) {
      diag.error(where, what_of(kind) + ": option '" + std::string(key) + "' is given twice");
    } else {
      split.push_back(SplitOption{std::string(key), {std::string(item.substr(eq + 1))}, {}, type});
    }
  }
  std::vector<std::pair<std::string, ConfigNode>> entries;
  for (const SplitOption& option : split) entries.emplace_back(option.key, to_node(option, where));
  return ConfigNode::mapping_at(entries, where);
}

std::shared_ptr<const Codec> build_codec(const Registry<CodecKind>& kinds, const ConfigNode& name,
                                         std::string_view base_dir, Diagnostics& diag) {
  if (name.is_map()) {
    const auto entries = name.entries();
    if (entries.size() != 1) {
      diag.error(name.location(),
                 "a codec is a name such as \"hl7v2:charset=GBK\" or a mapping with one key, the "
                 "codec, such as { hl7v2: { charset: GBK } }");
      return nullptr;
    }
    const auto& [kind_node, options] = entries.front();
    const CodecKind* kind = find_kind(kinds, kind_node.scalar(), kind_node.location(), diag);
    if (!kind) return nullptr;
    // { iso8583: cup } names the argument as "iso8583:cup" does.
    if (options.is_scalar() && !kind->argument_key().empty()) {
      const ConfigNode argument = ConfigNode::mapping_at(
          {{std::string(kind->argument_key()), ConfigNode::scalar_at(options.scalar(), options.location())}},
          options.location());
      return create(*kind, argument, base_dir, diag);
    }
    return create(*kind, options, base_dir, diag);
  }
  if (!name.is_scalar()) {
    diag.error(name.location(),
               "expected a codec, such as \"json\" or \"hl7v2:charset=GBK\", found a " + std::string(name.kind_name()));
    return nullptr;
  }
  const std::string text = name.scalar();
  const std::size_t colon = text.find(':');
  const CodecKind* kind = find_kind(kinds, text.substr(0, colon), name.location(), diag);
  if (!kind) return nullptr;
  const std::size_t errors_before = diag.errors().size();
  const std::string_view argument =
      colon == std::string::npos ? std::string_view() : std::string_view(text).substr(colon + 1);
  ConfigNode options = split_codec_options(argument, *kind, name.location(), diag);
  if (diag.errors().size() != errors_before) return nullptr;
  return create(*kind, options, base_dir, diag);
}

Expected<std::shared_ptr<const Codec>> build_codec(const Registry<CodecKind>& kinds, std::string_view name,
                                                   std::string_view base_dir, const Location& where) {
  Diagnostics diag;
  auto codec = build_codec(kinds, ConfigNode::scalar_at(std::string(name), where), base_dir, diag);
  if (codec) return codec;
  // Without a place to name, the text is the place: "codec hl7v2: unknown key …" for `qiao send`.
  const std::string unplaced = where.file ? std::string() : where.str() + ": ";
  std::string text;
  for (const std::string& error : diag.errors()) {
    text += text.empty() ? "" : "\n";
    text += !unplaced.empty() && error.rfind(unplaced, 0) == 0 ? error.substr(unplaced.size()) : error;
  }
  return make_error(ErrorKind::config, std::move(text));
}

}  // namespace qiao
