#pragma once
// Every plugin declares the keys its configuration accepts. The same table validates a file
// (unknown keys are errors) and documents the plugin (`qiao check --describe`).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_node.hpp"

namespace qiao {

enum class KeyType { string, integer, boolean, duration, size, strings, mapping, sequence, any };

std::string_view key_type_name(KeyType t);

struct ConfigKey {
  std::string_view name;
  KeyType type;
  std::string_view default_value;  // empty: no default
  std::string_view description;
  bool required = false;
};

using Schema = std::span<const ConfigKey>;

// Validates a mapping against a schema on construction (reporting to `diag`), then hands out
// typed values, falling back to the schema's defaults. A value that failed validation reads
// as its default, so callers need not check twice: the diagnostics already fail the load.
class ConfigReader {
 public:
  ConfigReader(const ConfigNode& mapping, Schema schema, Diagnostics& diag, std::string_view what);

  bool has(std::string_view key) const;
  std::optional<ConfigNode> node(std::string_view key) const;
  std::string string(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  bool boolean(std::string_view key) const;
  std::chrono::milliseconds duration(std::string_view key) const;
  std::uint64_t size(std::string_view key) const;
  std::vector<std::string> strings(std::string_view key) const;
  const ConfigNode& mapping() const { return mapping_; }
  Diagnostics& diagnostics() const { return diag_; }

 private:
  const ConfigKey& key(std::string_view name) const;
  ConfigNode mapping_;
  Schema schema_;
  Diagnostics& diag_;
};

// Lines describing a schema, for --describe and the docs.
std::string describe_schema(std::string_view title, Schema schema);

}  // namespace qiao
