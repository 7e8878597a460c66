#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "adapters/http/server/admin_server.hpp"
#include "app/commands.hpp"
#include "app/plugins.hpp"
#include "core/admin.hpp"
#include "core/admin_token.hpp"
#include "core/log.hpp"
#include "core/memory.hpp"
#include "core/net/descriptor_budget.hpp"
#include "core/owner_only.hpp"
#include "core/runtime.hpp"
#include "core/store/store.hpp"
#include "qiao/version.hpp"

namespace qiao {

namespace {

// The state directory (var/) holds the journal, the admin token and, as shipped, the logs: make
// all of it the owner's. Only when it lies inside the directory qiao runs in, though: one named
// elsewhere may be shared (sqlite:///var/qiao.db), and the store and the token file see to
// their own files there.
Status secure_state_dir(const ServerConfig& config) {
  const auto base = std::filesystem::path(config.base_dir).lexically_normal();
  const auto state = std::filesystem::path(config.state_dir()).lexically_normal();
  const auto inside = state.lexically_relative(base);
  if (inside.empty() || *inside.begin() == ".." || inside == ".") return Ok{};
  return restrict_tree_to_owner(state);
}

}  // namespace

int command_run(const std::string& config_path) {
  // Everything the gateway creates (journal, token, logs) is readable by its owner only.
  ::umask(077);
  // A file size limit (ulimit -f) reached by the store or a log must fail that write, which the
  // store answers with an error to the sender; SIGXFSZ's default would kill the gateway instead.
  ::signal(SIGXFSZ, SIG_IGN);
  memory::tune_allocator();
  Diagnostics diag;
  ServerConfig config = load_server_config(config_path, diag);
  if (!diag.ok()) {
    std::cerr << diag.text();
    return 1;
  }
  if (auto error = log::setup(config.log); !error.empty()) {
    std::cerr << config_path << ": " << error << "\n";
    return 1;
  }
  // systemd starts services with a soft limit of 1024 and a hard one far higher; the listeners'
  // limits were checked against the hard one when the config loaded.
  log::system().info("memory allocator: {}", memory::allocator_name());
  if (auto fds = raise_descriptor_limit()) log::system().info("open file limit: {} (was {})", fds->now, fds->before);
  else log::system().warn("{}", fds.error().message);
  auto store =
      open_store(config.store_url, config.base_dir, config.journal, QueueLease{config.node_name, config.store_lease});
  if (!store) {
    std::cerr << config_path << ": " << store.error().message << "\n";
    return 1;
  }

  if (auto secured = secure_state_dir(config); !secured) {
    std::cerr << config_path << ": " << secured.error().message << "\n";
    return 1;
  }
  std::string admin_token = config.admin_token;
  if (admin_token.empty()) {
    // An in-memory store has made no var/ directory for the token to live in.
    std::error_code ec;
    std::filesystem::create_directories(config.state_dir(), ec);
    auto generated = load_or_create_admin_token(config.admin_token_file());
    if (!generated) {
      std::cerr << config_path << ": " << generated.error().message << "\n";
      return 1;
    }
    admin_token = std::move(*generated);
  }

  Runtime runtime(all_plugins(), config, store->get());
  ReloadReport started = runtime.start();
  if (!started.ok) {
    for (const auto& e : started.errors) std::cerr << e << "\n";
    return 1;
  }
  AdminApi admin_api(runtime, store->get(), std::move(admin_token));
  auto admin = http::serve_admin(config.admin_listen, config.admin_tls, admin_api, runtime);
  if (!admin) {
    std::cerr << admin.error().message << "\n";
    runtime.stop();
    return 1;
  }

  // Scripts and tests read these lines to find the ports (0 in config picks free ones).
  std::cout << "qiao " << version_string << " node " << config.node_name << ", " << config.worker_threads()
            << " worker thread(s), generation " << started.generation << "\n";
  std::cout << "admin listening on " << (*admin)->address() << "\n";
  if (config.admin_token.empty()) std::cout << "admin token in " << config.admin_token_file() << "\n";
  for (const auto& [key, address] : runtime.listener_addresses())
    std::cout << key << " listening on " << address << "\n";
  std::cout << std::flush;

  runtime.wait();
  (*admin)->stop();
  (*store)->flush();
  log::shutdown();
  return 0;
}

}  // namespace qiao
