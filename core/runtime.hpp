#pragma once
// The running gateway: worker threads (one io_context each), an acceptor thread, a control
// thread for reloads, signals and file watching; the current generation and the listeners.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/engine.hpp"
#include "core/generation.hpp"
#include "core/host.hpp"
#include "core/metrics.hpp"
#include "core/registry.hpp"
#include "core/server_config.hpp"

namespace qiao {

class DeliveryService;
class Store;

struct ReloadReport {
  bool ok = false;
  std::uint64_t generation = 0;     // the generation serving after the attempt
  std::vector<std::string> errors;  // file:line:col lines when it failed
  std::chrono::system_clock::time_point at;
  std::string trigger;  // "signal", "file change", "admin api", "start"
};

class Runtime final : public Host {
 public:
  Runtime(const Plugins& plugins, ServerConfig config, Store* store);
  ~Runtime() override;

  // Builds the first generation, opens its listeners and starts the threads. Errors are
  // reported in the returned report; then nothing runs.
  ReloadReport start();
  // Builds a new generation beside the running one and swaps it in; thread-safe, serialized.
  // On failure the running generation keeps serving.
  ReloadReport reload(const std::string& trigger);
  // Stops listeners, lets in-flight messages finish (up to drain_timeout), stops the threads.
  void stop();
  // Blocks until stop() was called (by a signal or by another thread).
  void wait();
  // Asks for shutdown from any thread (signal handlers, tests).
  void request_stop();

  std::shared_ptr<const Generation> generation() const override { return current_.load(); }
  Engine& engine() override { return engine_; }
  boost::asio::io_context& acceptor_context() override;
  boost::asio::io_context& next_worker() override;
  Gate& gate() override { return gate_; }

  Metrics& metrics() { return metrics_; }
  // The persistent queues behind `send`; null without a store.
  DeliveryService* deliveries() { return deliveries_.get(); }
  ReloadReport last_reload() const;
  // Actual bound addresses by listener key (ports resolved when 0 was asked for).
  std::map<std::string, std::string> listener_addresses() const;
  boost::asio::io_context& control_context();
  const ServerConfig& config() const { return config_; }

 private:
  struct Threads;
  ReloadReport install(std::shared_ptr<Generation> next, const std::string& trigger);
  void watch_files();
  void handle_signals();

  const Plugins& plugins_;
  ServerConfig config_;
  Metrics metrics_;
  Engine engine_;
  Gate gate_;
  std::unique_ptr<Threads> threads_;
  // After threads_: its thread hands attempts to the workers, so it goes first.
  std::unique_ptr<DeliveryService> deliveries_;
  std::atomic<std::shared_ptr<const Generation>> current_;
  std::uint64_t next_generation_ = 1;

  std::mutex reload_mutex_;  // one reload at a time
  mutable std::mutex state_mutex_;
  ReloadReport last_reload_;
  std::map<std::string, std::unique_ptr<Listener>> listeners_;
  std::atomic<std::size_t> next_worker_{0};

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
  bool stopped_ = false;
};

}  // namespace qiao
