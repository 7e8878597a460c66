#pragma once

#include <memory>

#include "core/source.hpp"

namespace qiao::soap {

// The `soap` source kind: SOAP 1.1 and 1.2 operations served over HTTP, with their WSDL.
std::unique_ptr<SourceKind> make_soap_source_kind();

}  // namespace qiao::soap
