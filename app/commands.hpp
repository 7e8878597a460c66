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
// Which dead letters `qiao queue dead|replay|discard` means; empty strings are no filter.
struct QueueFilter {
  std::string endpoint;
  std::string ids;    // "12,13"
  std::string error;  // text within the last error
  std::string since;  // 2026-12-04T06:00:00Z
  std::string until;
  std::string limit;
  bool all = false;  // replay or discard every dead letter
  bool dry_run = false;
  std::string admin;  // HOST:PORT of the admin API instead of qiao.yaml's admin.listen
};
int command_queue(const std::string& config_path, const std::string& action, const QueueFilter& filter);
// Which journaled messages `qiao messages list|replay` means; empty strings are no filter.
struct MessageFilter {
  std::string id;
  std::string flow;
  std::string outcome;  // ok, or an error kind: timeout, unavailable …
  std::string since;    // received at or after: 2026-12-04T06:00:00Z
  std::string until;
  std::string limit;
  std::vector<std::string> keys;  // NAME=VALUE: messages with these business keys (journal: keys)
  bool dry_run = false;
  std::string admin;
};
int command_messages(const std::string& config_path, const std::string& action, const MessageFilter& filter);
int command_send_mllp(const std::string& address, const std::vector<std::string>& files,
                      std::chrono::milliseconds timeout);
int command_send_tcp(const std::string& address, const std::string& framing, const std::string& codec, bool hex,
                     const std::string& file, std::chrono::milliseconds timeout);

}  // namespace qiao
