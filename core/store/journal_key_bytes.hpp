#pragma once
// A journal row keeps its own business keys as one value, `name NUL value NUL …`, so that a search
// result shows them without reading the key index again. Names and values hold no NUL byte
// (core/flow/journal.cpp refuses them), so the encoding needs no escapes.

#include <string>
#include <string_view>
#include <vector>

#include "core/store/store.hpp"

namespace qiao {

std::string encode_journal_keys(const std::vector<JournalKey>& keys);
// Stops at a truncated pair rather than inventing a value for it.
std::vector<JournalKey> decode_journal_keys(std::string_view bytes);

}  // namespace qiao
