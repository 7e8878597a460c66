#include "core/lua/lua_codec_literals.hpp"

#include <algorithm>
#include <cctype>

namespace qiao {

namespace {

bool identifier_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Walks the code keeping the position in the chunk's file.
class Cursor {
 public:
  explicit Cursor(const LuaChunk& chunk) : code_(chunk.code), line_(chunk.line), column_(chunk.column) {}

  bool done() const { return pos_ >= code_.size(); }
  char peek(std::size_t ahead = 0) const { return pos_ + ahead < code_.size() ? code_[pos_ + ahead] : '\0'; }
  bool starts(std::string_view text) const { return code_.substr(pos_, text.size()) == text; }
  int line() const { return line_; }
  int column() const { return column_; }

  void advance(std::size_t n = 1) {
    for (; n > 0 && !done(); --n, ++pos_) {
      if (code_[pos_] == '\n') ++line_, column_ = 1;
      else ++column_;
    }
  }

  void skip_space() {
    while (!done() && std::isspace(static_cast<unsigned char>(peek()))) advance();
  }

  // At "[[", "[=[" …: the level of '=' signs, or -1 when this is no long bracket.
  int long_bracket_level() const {
    if (peek() != '[') return -1;
    std::size_t n = 1;
    while (peek(n) == '=') ++n;
    return peek(n) == '[' ? static_cast<int>(n - 1) : -1;
  }

  void skip_long_bracket(int level) {
    const std::string close = "]" + std::string(static_cast<std::size_t>(level), '=') + "]";
    advance(static_cast<std::size_t>(level) + 2);
    while (!done() && !starts(close)) advance();
    advance(close.size());
  }

  // At a quote: the string's text, or false for one with escapes (its value is not what is written).
  bool read_quoted(std::string& out) {
    const char quote = peek();
    advance();
    bool plain = true;
    out.clear();
    while (!done() && peek() != quote && peek() != '\n') {
      if (peek() == '\\') {
        plain = false;
        advance();
      }
      out += peek();
      advance();
    }
    advance();
    return plain;
  }

  std::string read_dotted_name() {
    std::string name;
    for (;;) {
      while (!done() && identifier_char(peek())) name += peek(), advance();
      if (peek() != '.' || !identifier_start(peek(1))) return name;
      name += '.';
      advance();
    }
  }

 private:
  std::string_view code_;
  std::size_t pos_ = 0;
  int line_;
  int column_;
};

}  // namespace

std::vector<LuaCodecLiteral> find_codec_literals(const LuaChunk& chunk, std::span<const std::string> callees) {
  std::vector<LuaCodecLiteral> found;
  Cursor at(chunk);
  std::string text;
  while (!at.done()) {
    const char c = at.peek();
    if (at.starts("--")) {
      at.advance(2);
      if (const int level = at.long_bracket_level(); level >= 0) {
        at.skip_long_bracket(level);
      } else {
        while (!at.done() && at.peek() != '\n') at.advance();
      }
    } else if (c == '"' || c == '\'') {
      at.read_quoted(text);
    } else if (const int level = at.long_bracket_level(); level >= 0) {
      at.skip_long_bracket(level);
    } else if (identifier_start(c)) {
      const std::string name = at.read_dotted_name();
      if (std::find(callees.begin(), callees.end(), name) == callees.end()) continue;
      at.skip_space();
      if (at.peek() == '(') {
        at.advance();
        at.skip_space();
      }
      if (at.peek() != '"' && at.peek() != '\'') continue;
      const int line = at.line();
      const int column = at.column();
      if (at.read_quoted(text)) found.push_back(LuaCodecLiteral{text, line, column});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      // A number such as 1e5 or 0x1F is no identifier.
      while (!at.done() && (identifier_char(at.peek()) || at.peek() == '.')) at.advance();
    } else {
      at.advance();
    }
  }
  return found;
}

}  // namespace qiao
