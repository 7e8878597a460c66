#include "core/server_config.hpp"

#include <glob.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <filesystem>
#include <thread>

#include "core/config/schema.hpp"
#include "core/net/host_port.hpp"

namespace qiao {

namespace {

constexpr ConfigKey top_keys[] = {
    {"node", KeyType::mapping, "", "this gateway node: name, threads"},
    {"admin", KeyType::mapping, "", "the admin listener: listen, token, hosts, tls"},
    {"store", KeyType::mapping, "", "the message store: url"},
    {"journal", KeyType::mapping, "", "what the journal keeps: level, payload size limits, a free-space floor"},
    {"flows", KeyType::strings, "", "flow files: globs such as flows/*.yaml", true},
    {"endpoints", KeyType::strings, "", "endpoint files"},
    {"log", KeyType::mapping, "", "logs: dir, level, console"},
    {"lua", KeyType::mapping, "", "Lua limits: time_slice, memory"},
    {"reload", KeyType::mapping, "", "reload behaviour: watch, drain_timeout"},
};
constexpr ConfigKey node_keys[] = {
    {"name", KeyType::string, "qiao", "node name, shown in logs and metrics"},
    {"threads", KeyType::string, "auto", "worker threads: a number, or auto for one per core"},
};
constexpr ConfigKey admin_keys[] = {
    {"listen", KeyType::string, "127.0.0.1:9900", "address of the admin API (health, flows, reload, metrics)"},
    {"token", KeyType::string, "", "bearer token the admin API requires; empty: generated into var/admin.token"},
    {"hosts", KeyType::strings, "", "names the Host header may carry besides the listen address (DNS rebinding)"},
    {"tls", KeyType::mapping, "", "TLS of the admin listener (cert, key, client_ca); needed off loopback"},
};
constexpr ConfigKey store_keys[] = {
    {"url", KeyType::string, "sqlite://var/qiao.db",
     "sqlite://PATH (embedded), or postgres://USER@HOST/DB (a PostgreSQL database nodes share)"},
    {"lease", KeyType::duration, "30s",
     "nodes sharing a PostgreSQL store: a node silent this long (killed, cut off) has its queue delivered by "
     "another; at least 1s"},
};
constexpr ConfigKey journal_keys[] = {
    {"level", KeyType::string, "full",
     "what the journal keeps of a message by default: full (its bytes), metadata (no payload bytes) or none (no row)"},
    {"max_payload_bytes", KeyType::size, "1MiB", "longest request or reply kept; a longer one keeps its beginning"},
    {"max_rejected_bytes", KeyType::size, "4KiB",
     "longest request kept of a message the gateway refused (bad input, unknown path, too large …)"},
    {"min_free_bytes", KeyType::size, "1GiB",
     "below this much free space on the store's disk, payloads are not stored (metadata still is)"},
    {"free_space_check", KeyType::duration, "5s", "how often the free space is measured"},
    {"max_queued_bytes", KeyType::size, "64MiB",
     "payload bytes waiting to be written at most; beyond, entries wait without payloads (a slow disk)"},
    {"max_age", KeyType::duration, "30d", "days of journal older than this are dropped whole; 0: kept for ever"},
    {"max_bytes", KeyType::size, "0", "the oldest days are dropped while the journal is larger; 0: no bound"},
    {"retention_check", KeyType::duration, "1m", "how often the journal looks for days to drop"},
};
constexpr ConfigKey log_keys[] = {
    {"dir", KeyType::string, "var/log", "directory of system.log and business.log"},
    {"level", KeyType::string, "info", "trace, debug, info, warn or error"},
    {"console", KeyType::boolean, "true", "also print the system log to stderr"},
};
constexpr ConfigKey lua_keys[] = {
    {"time_slice", KeyType::duration, "2s", "longest a script may run without yielding before it is stopped"},
    {"memory", KeyType::size, "256MiB", "memory limit of each worker's Lua state"},
};
constexpr ConfigKey reload_keys[] = {
    {"watch", KeyType::boolean, "true", "reload when a flow or endpoint file changes"},
    {"drain_timeout", KeyType::duration, "10s", "on shutdown, how long in-flight messages may take to finish"},
};

ConfigReader section(const ConfigReader& top, std::string_view name, Schema schema, Diagnostics& diag) {
  return ConfigReader(top.node(name).value_or(ConfigNode()), schema, diag, name);
}

// "localhost" counts: RFC 6761 reserves it for the loopback interface.
bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

void read_admin(const ConfigReader& admin, ServerConfig& config, Diagnostics& diag) {
  config.admin_listen = admin.string("listen");
  config.admin_token = admin.string("token");
  config.admin_hosts = admin.strings("hosts");
  if (auto tls = admin.node("tls")) {
    config.admin_tls = parse_server_tls(*tls, diag);
    config.admin_tls->cert = config.resolve(config.admin_tls->cert);
    config.admin_tls->key = config.resolve(config.admin_tls->key);
    config.admin_tls->client_ca = config.resolve(config.admin_tls->client_ca);
  }
  const auto where = admin.node("listen").value_or(ConfigNode()).location();
  const auto listen = parse_host_port(config.admin_listen);
  if (!listen) {
    diag.error(where, "admin.listen: expected host:port, found '" + config.admin_listen + "'");
  } else if (!is_loopback(listen->host) && !config.admin_tls) {
    // The admin API reads every journaled message and reloads flows. Over plain HTTP its token
    // would cross the network readable by anyone on it, so off loopback it needs admin.tls.
    diag.error(where, "admin.listen: '" + config.admin_listen +
                          "' is not a loopback address; the admin API serves other interfaces only over TLS "
                          "(set admin.tls: { cert, key }) or listen on 127.0.0.1");
  }
}

}  // namespace

std::string ServerConfig::resolve(const std::string& path) const {
  if (path.empty() || path.front() == '/') return path;
  return base_dir + "/" + path;
}

std::string ServerConfig::state_dir() const {
  constexpr std::string_view sqlite_scheme = "sqlite://";
  if (store_url.starts_with(sqlite_scheme)) {
    const std::filesystem::path file(resolve(store_url.substr(sqlite_scheme.size())));
    if (file.has_filename() && file.has_parent_path()) return file.parent_path().lexically_normal().string();
  }
  return resolve("var");
}

std::size_t ServerConfig::worker_threads() const {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

ServerConfig load_server_config(const std::string& path, Diagnostics& diag) {
  ServerConfig config;
  config.file = path;
  config.base_dir = std::filesystem::current_path().string();
  auto root = ConfigNode::load_file(path);
  if (!root) {
    diag.error(root.error().message);
    return config;
  }
  ConfigReader top(*root, top_keys, diag, "qiao.yaml");

  ConfigReader node = section(top, "node", node_keys, diag);
  config.node_name = node.string("name");
  const std::string threads = node.string("threads");
  if (threads != "auto") {
    if (auto n = node.node("threads")->to_int(diag); n && *n > 0 && *n <= 256) {
      config.threads = static_cast<std::size_t>(*n);
    } else if (n) {
      diag.error(node.node("threads")->location(), "node.threads: expected auto or 1..256");
    }
  }

  ConfigReader admin = section(top, "admin", admin_keys, diag);
  read_admin(admin, config, diag);

  ConfigReader store = section(top, "store", store_keys, diag);
  config.store_url = store.string("url");
  config.store_lease = store.duration("lease");
  // Renewals go three times per lease (at most every second), and a lease much shorter than a
  // database's hiccup would hand queues around while every node is alive.
  if (config.store_lease < std::chrono::seconds(1))
    if (auto node = store.node("lease"))
      diag.error(node->location(), "store.lease: expected a duration of at least 1s");

  ConfigReader journal = section(top, "journal", journal_keys, diag);
  config.journal.max_payload_bytes = journal.size("max_payload_bytes");
  config.journal.max_rejected_bytes = journal.size("max_rejected_bytes");
  config.journal.min_free_bytes = journal.size("min_free_bytes");
  config.journal.free_space_check = journal.duration("free_space_check");
  config.journal.max_queued_bytes = journal.size("max_queued_bytes");
  config.journal.max_age = std::chrono::duration_cast<std::chrono::seconds>(journal.duration("max_age"));
  config.journal.max_bytes = journal.size("max_bytes");
  config.journal.retention_check = journal.duration("retention_check");
  if (config.journal.retention_check.count() <= 0)
    if (auto node = journal.node("retention_check"))
      diag.error(node->location(), "journal.retention_check: expected a duration above 0");
  if (auto level = journal.node("level")) {
    if (auto parsed = parse_journal_level(level->scalar())) config.journal_level = *parsed;
    else
      diag.error(level->location(), "journal.level: expected full, metadata or none, found '" + level->scalar() + "'");
  }

  config.flow_patterns = top.strings("flows");
  config.endpoint_files = top.strings("endpoints");

  ConfigReader log_section = section(top, "log", log_keys, diag);
  config.log.dir = log_section.string("dir").empty() ? std::string() : config.resolve(log_section.string("dir"));
  config.log.level = log_section.string("level");
  config.log.console = log_section.boolean("console");

  ConfigReader lua = section(top, "lua", lua_keys, diag);
  config.lua.time_slice = lua.duration("time_slice");
  config.lua.memory_bytes = lua.size("memory");

  ConfigReader reload = section(top, "reload", reload_keys, diag);
  config.watch = reload.boolean("watch");
  config.drain_timeout = reload.duration("drain_timeout");
  return config;
}

std::vector<std::string> restart_only_changes(const ServerConfig& running, const ServerConfig& next) {
  std::vector<std::string> changed;
  if (running.threads != next.threads) changed.push_back("node.threads");
  if (running.node_name != next.node_name) changed.push_back("node.name");
  if (running.admin_listen != next.admin_listen) changed.push_back("admin.listen");
  if (running.admin_token != next.admin_token) changed.push_back("admin.token");
  if (running.admin_hosts != next.admin_hosts) changed.push_back("admin.hosts");
  if (running.admin_tls != next.admin_tls) changed.push_back("admin.tls");
  if (running.store_url != next.store_url) changed.push_back("store.url");
  if (running.store_lease != next.store_lease) changed.push_back("store.lease");
  const JournalLimits& a = running.journal;
  const JournalLimits& b = next.journal;
  if (a.max_payload_bytes != b.max_payload_bytes) changed.push_back("journal.max_payload_bytes");
  if (a.max_rejected_bytes != b.max_rejected_bytes) changed.push_back("journal.max_rejected_bytes");
  if (a.min_free_bytes != b.min_free_bytes) changed.push_back("journal.min_free_bytes");
  if (a.free_space_check != b.free_space_check) changed.push_back("journal.free_space_check");
  if (a.max_queued_bytes != b.max_queued_bytes) changed.push_back("journal.max_queued_bytes");
  if (a.max_age != b.max_age) changed.push_back("journal.max_age");
  if (a.max_bytes != b.max_bytes) changed.push_back("journal.max_bytes");
  if (a.retention_check != b.retention_check) changed.push_back("journal.retention_check");
  if (running.log.dir != next.log.dir) changed.push_back("log.dir");
  if (running.log.level != next.log.level) changed.push_back("log.level");
  return changed;
}

namespace {

// A wildcard in an existing folder may match nothing yet: a site's own flows/ starts empty. A
// folder that does not exist, or a file named without a wildcard, is a mistake worth stopping for.
bool site_folder_pattern(const std::string& full) {
  const std::filesystem::path path(full);
  const std::string name = path.filename().string();
  if (name.find_first_of("*?[") == std::string::npos) return false;
  std::error_code ec;
  return std::filesystem::is_directory(path.parent_path(), ec);
}

}  // namespace

std::vector<std::string> expand_flow_patterns(const ServerConfig& config, Diagnostics& diag) {
  std::vector<std::string> files;
  for (const auto& pattern : config.flow_patterns) {
    const std::string full = config.resolve(pattern);
    glob_t matches{};
    const int rc = ::glob(full.c_str(), 0, nullptr, &matches);
    if (rc == 0) {
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) files.emplace_back(matches.gl_pathv[i]);
    } else if (!site_folder_pattern(full)) {
      diag.error(config.file + ": flows: pattern '" + pattern + "' matches no file");
    }
    ::globfree(&matches);
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

}  // namespace qiao
