#pragma once

#include <memory>

#include "core/endpoint.hpp"

namespace qiao::soap {

// The `soap` endpoint kind: calls a WebService's operations over the pooled HTTP client.
std::unique_ptr<EndpointKind> make_soap_endpoint_kind();

}  // namespace qiao::soap
