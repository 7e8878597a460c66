#include "core/lua/lua_names.hpp"

#include <cstddef>
#include <string>

namespace qiao::lua {

namespace {

// Lua's lexer reads names and numbers in the C locale's ASCII classes.
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_part(char c) { return is_name_start(c) || is_digit(c); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// The level of a long bracket opening at `at` ("[[" is 0, "[==[" is 2), or -1 when none does.
int long_bracket_level(std::string_view code, std::size_t at) {
  if (at >= code.size() || code[at] != '[') return -1;
  std::size_t i = at + 1;
  while (i < code.size() && code[i] == '=') ++i;
  return i < code.size() && code[i] == '[' ? static_cast<int>(i - at - 1) : -1;
}

// Just past the long bracket of `level` closing after `from`, or the end of the code.
std::size_t skip_long_bracket(std::string_view code, std::size_t from, int level) {
  std::string close = "]" + std::string(static_cast<std::size_t>(level), '=') + "]";
  const std::size_t end = code.find(close, from);
  return end == std::string_view::npos ? code.size() : end + close.size();
}

}  // namespace

bool code_names(std::string_view code, std::string_view name) {
  bool after_member = false;  // the last token was a single `.` or `:`, so a name is a field
  std::size_t i = 0;
  while (i < code.size()) {
    const char c = code[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '-' && i + 1 < code.size() && code[i + 1] == '-') {
      const int level = long_bracket_level(code, i + 2);
      if (level >= 0) {
        i = skip_long_bracket(code, i + 2 + static_cast<std::size_t>(level) + 2, level);
      } else {
        const std::size_t end = code.find('\n', i);
        i = end == std::string_view::npos ? code.size() : end + 1;
      }
    } else if (c == '"' || c == '\'') {
      ++i;
      while (i < code.size() && code[i] != c) i += code[i] == '\\' ? 2 : 1;
      ++i;
      after_member = false;
    } else if (const int level = long_bracket_level(code, i); level >= 0) {
      i = skip_long_bracket(code, i + static_cast<std::size_t>(level) + 2, level);
      after_member = false;
    } else if (is_name_start(c)) {
      const std::size_t start = i;
      while (i < code.size() && is_name_part(code[i])) ++i;
      if (!after_member && code.substr(start, i - start) == name) return true;
      after_member = false;
    } else if (is_digit(c)) {
      // A number, hexadecimal and exponents included; what follows it is never a field.
      while (i < code.size() && (is_name_part(code[i]) || code[i] == '.')) ++i;
      after_member = false;
    } else if (c == '.') {
      if (code.substr(i, 3) == "...") return true;
      const bool concatenation = code.substr(i, 2) == "..";
      after_member = !concatenation;
      i += concatenation ? 2 : 1;
    } else if (c == ':') {
      const bool label = code.substr(i, 2) == "::";
      after_member = !label;
      i += label ? 2 : 1;
    } else {
      after_member = false;
      ++i;
    }
  }
  return false;
}

}  // namespace qiao::lua
