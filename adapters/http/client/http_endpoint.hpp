#pragma once
// The `http` endpoint kind: an HTTP/1.1 client that sends each call as one request, with
// keep-alive connections pooled per worker, timeouts and HTTPS. See README.md beside this file.

#include <memory>

#include "core/endpoint.hpp"

namespace qiao::http {

std::unique_ptr<EndpointKind> make_http_endpoint_kind();

}  // namespace qiao::http
