#pragma once
// The HTTP response that carries an Outcome: its status, body, content type and headers, with
// X-Message-Id so a client can name the message to an operator.

#include <string_view>

#include "adapters/http/server/http_server.hpp"
#include "core/engine.hpp"

namespace qiao::http {

// `http_version` is the request's (11 for HTTP/1.1; 0 means a request that could not be read,
// answered as 1.1). `allow` fills the Allow header of a 405 when not empty.
Response make_outcome_response(unsigned http_version, Outcome outcome, std::string_view allow = {});

}  // namespace qiao::http
