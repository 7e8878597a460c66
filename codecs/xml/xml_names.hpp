#pragma once
// Shared by decode and encode: which option lists an element name belongs to.

#include <string>
#include <string_view>
#include <vector>

namespace qiao::xml::detail {

// A listed name matches the name as written ("his:Item") or its local part ("Item").
inline bool listed(const std::vector<std::string>& names, std::string_view name) {
  if (names.empty()) return false;
  const std::size_t colon = name.find(':');
  const std::string_view local = colon == std::string_view::npos ? name : name.substr(colon + 1);
  for (const std::string& n : names)
    if (n == name || n == local) return true;
  return false;
}

}  // namespace qiao::xml::detail
