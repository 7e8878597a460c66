#include "core/config/diagnostics.hpp"

namespace qiao {

std::string Location::str() const {
  std::string s = file ? *file : std::string("<config>");
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column > 0 ? column : 1);
  return s;
}

void Diagnostics::error(const Location& where, const std::string& message) {
  errors_.push_back(where.str() + ": " + message);
}

void Diagnostics::error(const std::string& message) { errors_.push_back(message); }

std::string Diagnostics::text() const {
  std::string s;
  for (const auto& e : errors_) {
    s += e;
    s += '\n';
  }
  return s;
}

void Diagnostics::append(const Diagnostics& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
}

}  // namespace qiao
