#pragma once
// Names the calling thread as `top -H`, `ps -T`, perf and gdb show it ("qiao-worker-0",
// "qiao-journal"), so an operator can tell which of the gateway's threads is busy.

#include <string_view>

namespace qiao {

// Linux keeps 15 bytes of a thread's name; longer names are cut.
void name_this_thread(std::string_view name);

}  // namespace qiao
