#pragma once
// A journal row keeps its lists as one value each: its business keys, `name NUL value NUL …`, so
// that a search result shows them without reading the key index again, and its steps, seven
// fields each, `step NUL line NUL depth NUL outcome NUL detail NUL start_us NUL duration_us NUL …`.
// Key names and values hold no NUL byte (core/flow/journal.cpp refuses them); a NUL in a step's
// texts (an error quoting a payload) is stored as a space.

#include <string>
#include <string_view>
#include <vector>

#include "core/store/store.hpp"

namespace qiao {

std::string encode_journal_keys(const std::vector<JournalKey>& keys);
// Stops at a truncated pair rather than inventing a value for it.
std::vector<JournalKey> decode_journal_keys(std::string_view bytes);
std::string encode_journal_steps(const std::vector<JournalStep>& steps);
std::vector<JournalStep> decode_journal_steps(std::string_view bytes);

}  // namespace qiao
