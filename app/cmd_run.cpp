#include <malloc.h>

#include <iostream>

#include "adapters/http/server/admin_server.hpp"
#include "app/commands.hpp"
#include "app/plugins.hpp"
#include "core/admin.hpp"
#include "core/log.hpp"
#include "core/runtime.hpp"
#include "core/store/store.hpp"
#include "qiao/version.hpp"

namespace qiao {

namespace {

// A gateway decodes messages of tens to hundreds of KB all day. glibc's defaults hand such
// buffers back to the kernel after each message and fault them in again for the next one, which
// profiles showed costing more than the parsing itself; keep them in the process instead. What
// a burst leaves behind goes back once it is over: the journal's writer trims the heap when idle.
void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
}

}  // namespace

int command_run(const std::string& config_path) {
  tune_allocator();
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
  auto store = open_store(config.store_url, config.base_dir, config.journal);
  if (!store) {
    std::cerr << config_path << ": " << store.error().message << "\n";
    return 1;
  }

  Runtime runtime(all_plugins(), config, store->get());
  ReloadReport started = runtime.start();
  if (!started.ok) {
    for (const auto& e : started.errors) std::cerr << e << "\n";
    return 1;
  }
  AdminApi admin_api(runtime, store->get());
  auto admin = http::serve_admin(config.admin_listen, admin_api, runtime);
  if (!admin) {
    std::cerr << admin.error().message << "\n";
    runtime.stop();
    return 1;
  }

  // Scripts and tests read these lines to find the ports (0 in config picks free ones).
  std::cout << "qiao " << version_string << " node " << config.node_name << ", " << config.worker_threads()
            << " worker thread(s), generation " << started.generation << "\n";
  std::cout << "admin listening on " << (*admin)->address() << "\n";
  for (const auto& [key, address] : runtime.listener_addresses()) std::cout << key << " listening on " << address << "\n";
  std::cout << std::flush;

  runtime.wait();
  (*admin)->stop();
  (*store)->flush();
  log::shutdown();
  return 0;
}

}  // namespace qiao
