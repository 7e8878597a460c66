#pragma once
// The server's own configuration file (config/qiao.yaml): node, admin listener, store, where the
// flows and endpoints are, logs and Lua limits. Relative paths resolve against `base_dir`, the
// working directory the gateway was started in.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/config/diagnostics.hpp"
#include "core/flow/journal.hpp"
#include "core/log.hpp"
#include "core/lua/lua_worker.hpp"
#include "core/net/server_tls.hpp"
#include "core/store/store.hpp"

namespace qiao {

struct ServerConfig {
  std::string file;
  std::string base_dir;
  std::string node_name = "qiao";
  std::size_t threads = 0;  // 0: one per core
  std::string admin_listen = "127.0.0.1:9900";
  std::string admin_token;                     // empty: the one in admin_token_file(), generated on first start
  std::vector<std::string> admin_hosts;        // Host header names accepted besides the listen address
  std::optional<ServerTlsSettings> admin_tls;  // required when admin_listen is not a loopback address
  std::string store_url = "sqlite://var/qiao.db";
  // store.lease: how long a node's hold on its queue keys outlasts its last renewal, when nodes
  // share a PostgreSQL store; after it another node delivers the silent node's queue.
  std::chrono::milliseconds store_lease{30'000};
  JournalLimits journal;                            // what the journal keeps of payloads
  JournalLevel journal_level = JournalLevel::full;  // of flows whose own journal: does not say
  std::vector<std::string> flow_patterns;           // globs, e.g. "flows/*.yaml"
  std::vector<std::string> endpoint_files;
  bool watch = true;  // reload when a flow or endpoint file changes
  std::chrono::milliseconds drain_timeout{10'000};
  log::Settings log;
  LuaLimits lua;

  std::string resolve(const std::string& path) const;  // absolute path for a configured one
  // The gateway's own directory (var/): the one holding the SQLite file, or var/ under base_dir
  // for an in-memory store. It holds the journal and the admin token, so only the owner reads it.
  std::string state_dir() const;
  std::string admin_token_file() const { return state_dir() + "/admin.token"; }
  std::size_t worker_threads() const;
};

// Reads and validates a server config; errors go to `diag` as file:line:col.
ServerConfig load_server_config(const std::string& path, Diagnostics& diag);

// Settings that differ between two configs and cannot change without a restart.
std::vector<std::string> restart_only_changes(const ServerConfig& running, const ServerConfig& next);

// The flow files the patterns match now, sorted; a pattern matching nothing is an error.
std::vector<std::string> expand_flow_patterns(const ServerConfig& config, Diagnostics& diag);

}  // namespace qiao
