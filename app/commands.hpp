#pragma once
// The subcommands of the qiao binary; each returns the process exit code.

#include <chrono>
#include <string>
#include <vector>

namespace qiao {

int command_run(const std::string& config_path);
int command_check(const std::string& config_path);
int command_describe();
int command_codec(const std::string& direction, const std::string& codec, bool hex);
int command_send_mllp(const std::string& address, const std::vector<std::string>& files, std::chrono::milliseconds timeout);
int command_send_tcp(const std::string& address, const std::string& framing, const std::string& codec, bool hex,
                     const std::string& file, std::chrono::milliseconds timeout);

}  // namespace qiao
