#include "core/store/journal_key_bytes.hpp"

namespace qiao {

std::string encode_journal_keys(const std::vector<JournalKey>& keys) {
  std::string out;
  for (const JournalKey& key : keys) {
    out += key.name;
    out += '\0';
    out += key.value;
    out += '\0';
  }
  return out;
}

std::vector<JournalKey> decode_journal_keys(std::string_view bytes) {
  std::vector<JournalKey> keys;
  while (!bytes.empty()) {
    const std::size_t name_end = bytes.find('\0');
    if (name_end == std::string_view::npos) break;
    const std::size_t value_end = bytes.find('\0', name_end + 1);
    if (value_end == std::string_view::npos) break;
    keys.push_back({std::string(bytes.substr(0, name_end)), std::string(bytes.substr(name_end + 1, value_end - name_end - 1))});
    bytes.remove_prefix(value_end + 1);
  }
  return keys;
}

}  // namespace qiao
