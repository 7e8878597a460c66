#pragma once
// Collects every configuration error of a load, each as "file:line:col: what", so that
// `qiao check` and a failed reload report all of them at once.

#include <memory>
#include <string>
#include <vector>

namespace qiao {

struct Location {
  std::shared_ptr<const std::string> file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string str() const;  // "file:line:col", or just "file" when the position is unknown
};

class Diagnostics {
 public:
  void error(const Location& where, const std::string& message);
  void error(const std::string& message);
  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  std::string text() const;  // one error per line
  void append(const Diagnostics& other);

 private:
  std::vector<std::string> errors_;
};

}  // namespace qiao
