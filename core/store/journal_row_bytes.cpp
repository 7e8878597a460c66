#include "core/store/journal_row_bytes.hpp"

#include <charconv>
#include <cstdint>

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

namespace {

// Splits at NUL bytes; the last field is the one after the last NUL (empty for well-formed bytes).
std::vector<std::string_view> fields_of(std::string_view bytes) {
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  for (std::size_t end; (end = bytes.find('\0', at)) != std::string_view::npos; at = end + 1)
    fields.push_back(bytes.substr(at, end - at));
  return fields;
}

template <class Number>
Number number_of(std::string_view text) {
  Number n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

void append_text(std::string& out, std::string_view text) {
  for (char c : text) out += c == '\0' ? ' ' : c;
  out += '\0';
}

}  // namespace

std::string encode_journal_steps(const std::vector<JournalStep>& steps) {
  std::string out;
  for (const JournalStep& step : steps) {
    append_text(out, step.step);
    append_text(out, std::to_string(step.line));
    append_text(out, std::to_string(step.depth));
    append_text(out, step.outcome);
    append_text(out, step.detail);
    append_text(out, std::to_string(step.start_us));
    append_text(out, std::to_string(step.duration_us));
  }
  return out;
}

std::vector<JournalStep> decode_journal_steps(std::string_view bytes) {
  const std::vector<std::string_view> fields = fields_of(bytes);
  std::vector<JournalStep> steps;
  for (std::size_t i = 0; i + 7 <= fields.size(); i += 7) {
    JournalStep step;
    step.step = fields[i];
    step.line = number_of<int>(fields[i + 1]);
    step.depth = number_of<int>(fields[i + 2]);
    step.outcome = fields[i + 3];
    step.detail = fields[i + 4];
    step.start_us = number_of<std::int64_t>(fields[i + 5]);
    step.duration_us = number_of<std::int64_t>(fields[i + 6]);
    steps.push_back(std::move(step));
  }
  return steps;
}

std::vector<JournalKey> decode_journal_keys(std::string_view bytes) {
  std::vector<JournalKey> keys;
  while (!bytes.empty()) {
    const std::size_t name_end = bytes.find('\0');
    if (name_end == std::string_view::npos) break;
    const std::size_t value_end = bytes.find('\0', name_end + 1);
    if (value_end == std::string_view::npos) break;
    keys.push_back(
        {std::string(bytes.substr(0, name_end)), std::string(bytes.substr(name_end + 1, value_end - name_end - 1))});
    bytes.remove_prefix(value_end + 1);
  }
  return keys;
}

}  // namespace qiao
