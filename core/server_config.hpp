#pragma once
// The server's own configuration file (config/qiao.yaml): node, admin listener, store, where the
// flows and endpoints are, logs and Lua limits. Relative paths resolve against `base_dir`, the
// working directory the gateway was started in.

#include <chrono>
#include <string>
#include <vector>

#include "core/config/diagnostics.hpp"
#include "core/log.hpp"
#include "core/lua/lua_worker.hpp"
#include "core/store/store.hpp"

namespace qiao {

struct ServerConfig {
  std::string file;
  std::string base_dir;
  std::string node_name = "qiao";
  std::size_t threads = 0;                 // 0: one per core
  std::string admin_listen = "127.0.0.1:9900";
  std::string admin_token;                 // empty: no token (the admin listener should be loopback)
  std::string store_url = "sqlite://var/qiao.db";
  JournalLimits journal;                   // what the journal keeps of payloads
  std::vector<std::string> flow_patterns;  // globs, e.g. "flows/*.yaml"
  std::vector<std::string> endpoint_files;
  bool watch = true;                       // reload when a flow or endpoint file changes
  std::chrono::milliseconds drain_timeout{10'000};
  log::Settings log;
  LuaLimits lua;

  std::string resolve(const std::string& path) const;  // absolute path for a configured one
  std::size_t worker_threads() const;
};

// Reads and validates a server config; errors go to `diag` as file:line:col.
ServerConfig load_server_config(const std::string& path, Diagnostics& diag);

// Settings that differ between two configs and cannot change without a restart.
std::vector<std::string> restart_only_changes(const ServerConfig& running, const ServerConfig& next);

// The flow files the patterns match now, sorted; a pattern matching nothing is an error.
std::vector<std::string> expand_flow_patterns(const ServerConfig& config, Diagnostics& diag);

}  // namespace qiao
