#include "adapters/http/server/http_errors.hpp"

#include "core/json_text.hpp"

namespace qiao::http {

int status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_input: return 400;
    case ErrorKind::check_failed: return 400;
    case ErrorKind::not_found: return 404;
    case ErrorKind::method_not_allowed: return 405;
    case ErrorKind::too_large: return 413;
    case ErrorKind::timeout: return 504;
    case ErrorKind::unavailable: return 502;
    case ErrorKind::upstream: return 502;
    case ErrorKind::rejected: return 403;
    case ErrorKind::flow:
    case ErrorKind::config:
    case ErrorKind::internal: return 500;
  }
  return 500;
}

void HttpErrorRenderer::render(const Error& error, Outcome& outcome) const {
  outcome.status = status_for(error.kind);
  outcome.content_type = "application/json";
  outcome.body = "{\"error\":{\"code\":" + json_quote(error_kind_name(error.kind)) +
                 ",\"message\":" + json_quote(error.message) + "},\"messageId\":" + json_quote(outcome.message_id) +
                 "}";
}

}  // namespace qiao::http
