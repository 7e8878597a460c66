#pragma once
// The `http` source: flows served over HTTP/1.1 (and HTTPS), routed by method and path.

#include <memory>

#include "core/source.hpp"

namespace qiao::http {

std::unique_ptr<SourceKind> make_http_source_kind();

}  // namespace qiao::http
