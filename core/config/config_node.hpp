#pragma once
// A read-only view of one node of a YAML configuration file that knows where it came from.
// It hides yaml-cpp from the rest of the code, expands ${VAR:-default} in scalars, and converts
// scalars to typed values, reporting mistakes as file:line:col through Diagnostics.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/diagnostics.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao {

class ConfigNode {
 public:
  ConfigNode();
  ~ConfigNode();
  ConfigNode(const ConfigNode&);
  ConfigNode& operator=(const ConfigNode&);

  // Errors come back as "file:line:col: yaml: what" in a config-kind Error.
  static Expected<ConfigNode> load_file(const std::string& path);
  static Expected<ConfigNode> parse(std::string_view text, const std::string& file_label);
  // Nodes made in code rather than read from a file (the options of a codec written as
  // "hl7v2:charset=GBK"): each reports `at`, where the text they came from was written.
  static ConfigNode scalar_at(const std::string& text, const Location& at);
  static ConfigNode sequence_at(const std::vector<ConfigNode>& items, const Location& at);
  static ConfigNode mapping_at(const std::vector<std::pair<std::string, ConfigNode>>& entries, const Location& at);

  bool is_map() const;
  bool is_sequence() const;
  bool is_scalar() const;
  bool is_null() const;
  std::string_view kind_name() const;  // "mapping", "sequence", "scalar", "null"

  Location location() const;
  const std::string& file() const;

  // Scalar text with ${VAR} and ${VAR:-default} expanded ("$$" is a literal "$").
  std::string scalar() const;
  // The text as written, before expansion: for Lua source, where "$" is ordinary code.
  std::string raw_scalar() const;
  // Line on which a block scalar's content (`key: |`) begins; the node's line otherwise.
  int content_line() const;

  std::optional<ConfigNode> get(std::string_view key) const;
  // Mapping entries in file order: (key node, value node).
  std::vector<std::pair<ConfigNode, ConfigNode>> entries() const;
  std::vector<ConfigNode> items() const;

  // `what` (e.g. "pool"), when given, begins the error text: a made node's location is its whole
  // codec name, so the key must say which option was wrong.
  std::optional<std::int64_t> to_int(Diagnostics& diag, std::string_view what = {}) const;
  std::optional<bool> to_bool(Diagnostics& diag, std::string_view what = {}) const;
  std::optional<std::chrono::milliseconds> to_duration(Diagnostics& diag, std::string_view what = {}) const;
  std::optional<std::uint64_t> to_size(Diagnostics& diag, std::string_view what = {}) const;
  // A scalar or a list.
  std::optional<std::vector<std::string>> to_strings(Diagnostics& diag, std::string_view what = {}) const;
  // Plain data (for literal bodies, headers): scalars become int, real, bool, null or string.
  Value to_value() const;

 private:
  struct Impl;
  explicit ConfigNode(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// Expands ${VAR} and ${VAR:-default}; exposed for tests.
std::string expand_environment(std::string_view text);
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace qiao
