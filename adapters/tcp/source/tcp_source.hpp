#pragma once
// The `tcp` source: a listener that reads framed messages (MLLP, length-prefixed, delimited …)
// and answers each on the same connection, in order.

#include <memory>

#include "core/source.hpp"

namespace qiao::tcp {

std::unique_ptr<SourceKind> make_tcp_source_kind();

}  // namespace qiao::tcp
