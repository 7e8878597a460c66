#include "core/error.hpp"

namespace qiao {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_input: return "bad_input";
    case ErrorKind::check_failed: return "check_failed";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::method_not_allowed: return "method_not_allowed";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::upstream: return "upstream";
    case ErrorKind::flow: return "flow";
    case ErrorKind::rejected: return "rejected";
    case ErrorKind::config: return "config";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

bool is_sender_fault(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_input:
    case ErrorKind::check_failed:
    case ErrorKind::not_found:
    case ErrorKind::method_not_allowed:
    case ErrorKind::too_large:
    case ErrorKind::rejected: return true;
    default: return false;
  }
}

}  // namespace qiao
