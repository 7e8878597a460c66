#pragma once

#include "core/registry.hpp"

namespace qiao {

// Every source, endpoint, codec and step kind the binary ships, registered once.
const Plugins& all_plugins();

}  // namespace qiao
