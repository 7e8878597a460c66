#include "core/runtime.hpp"

#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <future>
#include <set>
#include <string>

#include "core/delivery/delivery_service.hpp"
#include "core/log.hpp"
#include "core/spawn.hpp"
#include "core/thread_name.hpp"
#include "core/worker.hpp"

namespace qiao {

namespace asio = boost::asio;

struct Runtime::Threads {
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;

  explicit Threads(std::size_t workers) {
    for (std::size_t i = 0; i < workers; ++i) worker_contexts.push_back(std::make_unique<asio::io_context>(1));
  }

  void start() {
    for (std::size_t i = 0; i < worker_contexts.size(); ++i) {
      guards.emplace_back(asio::make_work_guard(*worker_contexts[i]));
      threads.emplace_back([this, i] {
        name_this_thread("qiao-worker-" + std::to_string(i));
        set_current_worker(Worker{i, worker_contexts[i].get()});
        worker_contexts[i]->run();
      });
    }
    guards.emplace_back(asio::make_work_guard(acceptor));
    threads.emplace_back([this] {
      name_this_thread("qiao-accept");
      acceptor.run();
    });
    guards.emplace_back(asio::make_work_guard(control));
    threads.emplace_back([this] {
      name_this_thread("qiao-control");
      control.run();
    });
  }

  void stop() {
    guards.clear();
    control.stop();
    acceptor.stop();
    for (auto& io : worker_contexts) io->stop();
    for (auto& t : threads)
      if (t.joinable()) t.join();
    threads.clear();
  }

  std::vector<std::unique_ptr<asio::io_context>> worker_contexts;
  asio::io_context acceptor{1};
  asio::io_context control{1};
  std::vector<Guard> guards;
  std::vector<std::thread> threads;
};

Runtime::Runtime(const Plugins& plugins, ServerConfig config, Store* store)
    : plugins_(plugins),
      config_(std::move(config)),
      engine_(metrics_, store),
      threads_(std::make_unique<Threads>(config_.worker_threads())) {
  set_spawn_metrics(&metrics_);
  metrics_.show_journal(store);
  if (store) {
    deliveries_ = std::make_unique<DeliveryService>(*store, *this);
    engine_.deliver_with(deliveries_.get());
    metrics_.show_deliveries(deliveries_.get());
  }
}

Runtime::~Runtime() {
  stop();
  set_spawn_metrics(nullptr);
}

asio::io_context& Runtime::acceptor_context() { return threads_->acceptor; }
asio::io_context& Runtime::control_context() { return threads_->control; }

asio::io_context& Runtime::next_worker() {
  const std::size_t i = next_worker_.fetch_add(1, std::memory_order_relaxed) % threads_->worker_contexts.size();
  return *threads_->worker_contexts[i];
}

ReloadReport Runtime::last_reload() const {
  std::lock_guard lock(state_mutex_);
  return last_reload_;
}

std::map<std::string, std::string> Runtime::listener_addresses() const {
  std::lock_guard lock(state_mutex_);
  std::map<std::string, std::string> out;
  for (const auto& [key, listener] : listeners_) out[key] = listener->address();
  return out;
}

ReloadReport Runtime::start() {
  ReloadReport report;
  {
    std::lock_guard lock(reload_mutex_);
    Diagnostics diag;
    auto gen = Generation::build(plugins_, config_, next_generation_++, &metrics_, diag);
    if (!gen) {
      report.errors = diag.errors();
      report.at = std::chrono::system_clock::now();
      report.trigger = "start";
      return report;
    }
    report = install(std::move(gen), "start");
  }
  if (!report.ok) return report;
  if (deliveries_) {
    // What a previous run left queued resumes before new messages come in.
    if (auto resumed = deliveries_->start(); !resumed) {
      report.ok = false;
      report.errors.push_back(resumed.error().message);
      return report;
    }
  }
  threads_->start();
  handle_signals();
  if (config_.watch) watch_files();
  return report;
}

ReloadReport Runtime::reload(const std::string& trigger) {
  std::lock_guard lock(reload_mutex_);
  Diagnostics diag;
  ServerConfig next_config = load_server_config(config_.file, diag);
  next_config.base_dir = config_.base_dir;
  if (diag.ok()) {
    for (const auto& setting : restart_only_changes(config_, next_config)) {
      diag.error(config_.file + ": " + setting +
                 " changed; it takes effect only after a restart (nothing was reloaded)");
    }
  }
  std::shared_ptr<Generation> gen;
  if (diag.ok()) gen = Generation::build(plugins_, next_config, next_generation_++, &metrics_, diag);
  if (!gen) {
    ReloadReport report;
    report.errors = diag.errors();
    report.at = std::chrono::system_clock::now();
    report.trigger = trigger;
    report.generation = generation() ? generation()->number() : 0;
    metrics_.count_reload(false);
    log::system().error("reload ({}) failed; generation {} keeps serving:\n{}", trigger, report.generation,
                        diag.text());
    std::lock_guard state(state_mutex_);
    last_reload_ = report;
    return report;
  }
  auto report = install(std::move(gen), trigger);
  metrics_.count_reload(report.ok);
  if (report.ok && deliveries_) deliveries_->wake();
  return report;
}

ReloadReport Runtime::install(std::shared_ptr<Generation> next, const std::string& trigger) {
  ReloadReport report;
  report.at = std::chrono::system_clock::now();
  report.trigger = trigger;
  next->set_worker_count(threads_->worker_contexts.size());

  // Bind what is new before anything changes, so a port in use fails the reload cleanly.
  std::map<std::string, std::unique_ptr<Listener>> opened;
  for (const auto& [key, binding] : next->listeners()) {
    {
      std::lock_guard lock(state_mutex_);
      if (listeners_.count(key)) continue;
    }
    auto listener = binding.kind->open(key, *binding.plan, *this);
    if (!listener) {
      for (auto& [k, l] : opened) l->stop();
      report.errors.push_back(listener.error().message);
      report.generation = generation() ? generation()->number() : 0;
      log::system().error("reload ({}) failed; generation {} keeps serving: {}", trigger, report.generation,
                          listener.error().message);
      std::lock_guard lock(state_mutex_);
      last_reload_ = report;
      return report;
    }
    opened.emplace(key, std::move(*listener));
  }

  const std::uint64_t number = next->number();
  const std::size_t flow_count = next->flows().size();
  current_.store(std::shared_ptr<const Generation>(std::move(next)));

  std::vector<std::unique_ptr<Listener>> retired;
  {
    std::lock_guard lock(state_mutex_);
    auto gen = current_.load();
    for (auto it = listeners_.begin(); it != listeners_.end();) {
      if (!gen->listeners().count(it->first)) {
        retired.push_back(std::move(it->second));
        it = listeners_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [key, listener] : opened) {
      log::system().info("listening: {} on {}", key, listener->address());
      listeners_.emplace(key, std::move(listener));
    }
    report.ok = true;
    report.generation = number;
    last_reload_ = report;
  }
  for (auto& listener : retired) {
    log::system().info("no flow uses {} any more; it stops listening", listener->address());
    listener->stop();
  }
  log::system().info("generation {} serving {} flow(s) ({})", number, flow_count, trigger);
  return report;
}

namespace {

// Coroutines take what they need as parameters: a lambda's captures would die with the lambda
// while the coroutine still runs.
asio::awaitable<void> dispatch_signals(Runtime& runtime, std::shared_ptr<asio::signal_set> signals) {
  for (;;) {
    const int signal = co_await signals->async_wait(asio::use_awaitable);
    if (signal == SIGHUP) {
      runtime.reload("signal");
    } else {
      // The loop goes on: a second SIGTERM (an impatient operator, a supervisor) must not fall
      // to the default action and kill the gateway in the middle of its drain.
      log::system().info("signal {}: shutting down", signal);
      runtime.request_stop();
    }
  }
}

asio::awaitable<void> reload_on_change(Runtime& runtime, std::shared_ptr<asio::posix::stream_descriptor> stream) {
  alignas(inotify_event) char buffer[8192];
  asio::steady_timer settle(stream->get_executor());
  for (;;) {
    std::size_t n = co_await stream->async_read_some(asio::buffer(buffer), asio::use_awaitable);
    bool relevant = false;
    for (std::size_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      const std::string_view name = event->len ? std::string_view(event->name) : std::string_view();
      if (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".lua")) relevant = true;
      offset += sizeof(inotify_event) + event->len;
    }
    if (!relevant) continue;
    // Editors write a file in several steps: let the directory settle, drop the events that
    // arrived meanwhile, then reload once.
    settle.expires_after(std::chrono::milliseconds(300));
    co_await settle.async_wait(asio::use_awaitable);
    boost::system::error_code ec;
    stream->non_blocking(true, ec);
    while (!ec) stream->read_some(asio::buffer(buffer), ec);
    runtime.reload("file change");
  }
}

}  // namespace

void Runtime::handle_signals() {
  auto signals = std::make_shared<asio::signal_set>(threads_->control, SIGHUP, SIGINT, SIGTERM);
  spawn(threads_->control, dispatch_signals(*this, std::move(signals)), "signal handler");
}

void Runtime::watch_files() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    log::system().warn("cannot watch flow files (inotify: {}); reload with SIGHUP or the admin API",
                       std::strerror(errno));
    return;
  }
  std::set<std::string> dirs;
  namespace fs = std::filesystem;
  for (const auto& pattern : config_.flow_patterns)
    dirs.insert(fs::path(config_.resolve(pattern)).parent_path().string());
  for (const auto& file : config_.endpoint_files) dirs.insert(fs::path(config_.resolve(file)).parent_path().string());
  dirs.insert(fs::absolute(fs::path(config_.file)).parent_path().string());
  for (const auto& dir : dirs) {
    if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE) <
        0) {
      log::system().warn("cannot watch {}: {}", dir, std::strerror(errno));
    }
  }
  auto stream = std::make_shared<asio::posix::stream_descriptor>(threads_->control, fd);
  spawn(threads_->control, reload_on_change(*this, std::move(stream)), "file watcher");
}

void Runtime::request_stop() {
  std::lock_guard lock(stop_mutex_);
  stop_requested_ = true;
  stop_cv_.notify_all();
}

void Runtime::wait() {
  std::unique_lock lock(stop_mutex_);
  stop_cv_.wait(lock, [this] { return stop_requested_; });
  lock.unlock();
  stop();
}

void Runtime::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    stop_requested_ = true;
    stop_cv_.notify_all();
  }
  gate_.close();
  std::map<std::string, std::unique_ptr<Listener>> listeners;
  {
    std::lock_guard lock(state_mutex_);
    listeners.swap(listeners_);
  }
  for (auto& [key, listener] : listeners) listener->stop();
  if (!gate_.wait_idle(std::chrono::steady_clock::now() + config_.drain_timeout)) {
    log::system().warn(
        "{} request(s) still running after the drain timeout ({} ms): answering that the gateway stopped", gate_.open(),
        config_.drain_timeout.count());
    gate_.expire();
    // Long enough to write those answers, not to wait for the flows.
    if (!gate_.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(2))) {
      log::system().warn("{} request(s) still not answered; closing", gate_.open());
    }
  }
  if (deliveries_) {
    // An attempt cut short is sent again after the restart: finishing it now avoids a duplicate.
    deliveries_->stop_attempts(std::chrono::steady_clock::now() + std::min<std::chrono::steady_clock::duration>(
                                                                      config_.drain_timeout, std::chrono::seconds(5)));
  }
  threads_->stop();
  if (deliveries_) deliveries_->shutdown();
  listeners.clear();
  current_.store(nullptr);
}

}  // namespace qiao
