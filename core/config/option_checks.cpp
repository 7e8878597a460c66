#include "core/config/option_checks.hpp"

#include "core/text/charset.hpp"

namespace qiao {

void OptionChecks::error(std::string_view key, const std::string& problem) const {
  const auto node = options_.node(key);
  options_.diagnostics().error(node ? node->location() : options_.mapping().location(), what_ + ": " + problem);
}

std::uint64_t OptionChecks::positive_size(std::string_view key) const {
  const std::uint64_t v = options_.size(key);
  if (v > 0) return v;
  error(key, std::string(key) + " must be more than 0");
  return 1;
}

std::int64_t OptionChecks::positive_integer(std::string_view key) const {
  const std::int64_t v = options_.integer(key);
  if (v > 0) return v;
  error(key, std::string(key) + " must be more than 0");
  return 1;
}

std::int64_t OptionChecks::integer_from(std::string_view key, std::int64_t low, std::int64_t high) const {
  const std::int64_t v = options_.integer(key);
  if (v >= low && v <= high) return v;
  error(key, std::string(key) + " must be from " + std::to_string(low) + " to " + std::to_string(high) + ", not " +
                 std::to_string(v));
  return v < low ? low : high;
}

std::string OptionChecks::charset(std::string_view key) const {
  const std::string named = options_.string(key);
  if (!charset_supported(named)) error(key, std::string(key) + " '" + named + "' is not supported");
  return normalize_charset(named);
}

}  // namespace qiao
