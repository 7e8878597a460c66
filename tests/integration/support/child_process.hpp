#pragma once
// A program the test starts and owns: the gateway, or a peer written with another stack (a Node
// SOAP server). Its stdout and stderr are collected; it is stopped with SIGTERM, then SIGKILL.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace qiao::testing {

// In a forked child: moves to `cwd` (when given), adds `env` and execs argv[0] (looked up on PATH
// when it has no '/'); exits 127 when any of that fails.
[[noreturn]] void exec_in_child(const std::vector<std::string>& argv, const std::string& cwd,
                                const std::map<std::string, std::string>& env = {});

class ChildProcess {
 public:
  // Runs argv[0] (looked up on PATH when it has no '/') in `cwd` with `env` added.
  ChildProcess(const std::vector<std::string>& argv, const std::string& cwd,
               const std::map<std::string, std::string>& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  std::string output() const;  // stdout and stderr so far
  // Collects output until it contains `text`, the program exits or `timeout` passes.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) const;
  // Collects output for at most `wait`, returning as soon as some arrived.
  void read_available(std::chrono::milliseconds wait) const;
  bool running() const;
  int pid() const { return pid_; }
  void signal(int sig) const;
  // SIGTERM and wait; returns the exit status (or -1 when it had to be killed).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(15));

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  mutable std::string output_;
};

}  // namespace qiao::testing
