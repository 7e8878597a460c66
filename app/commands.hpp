#pragma once
// The subcommands of the qiao binary; each returns the process exit code.

#include <string>

namespace qiao {

int command_run(const std::string& config_path);
int command_check(const std::string& config_path);
int command_describe();
int command_codec(const std::string& direction, const std::string& codec, bool hex);

}  // namespace qiao
