#pragma once
// The checks every plugin makes on its options the same way, with the same words: a limit that
// must be at least 1, an integer within bounds, a charset iconv can convert. A value that fails
// is a load error at its place ("codec hl7v2: max_size must be more than 0") and reads as the
// nearest value allowed, so the caller goes on building with something valid.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/config/schema.hpp"

namespace qiao {

class OptionChecks {
 public:
  // `what` names the options in errors: "codec hl7v2", "fixed".
  OptionChecks(const ConfigReader& options, std::string_view what) : options_(options), what_(what) {}

  std::uint64_t positive_size(std::string_view key) const;
  std::int64_t positive_integer(std::string_view key) const;
  std::int64_t integer_from(std::string_view key, std::int64_t low, std::int64_t high) const;
  // Normalized as normalize_charset does ("" for UTF-8).
  std::string charset(std::string_view key) const;
  // Reports `problem` at the key's place, the mapping's when the key is absent.
  void error(std::string_view key, const std::string& problem) const;

 private:
  const ConfigReader& options_;
  std::string what_;
};

}  // namespace qiao
