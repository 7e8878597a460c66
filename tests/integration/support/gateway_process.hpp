#pragma once
// Integration-test support: a scratch directory of config and flows, the real `qiao` binary
// started on it as a child process, and a plain HTTP/1.1 client (Beast, blocking) to talk to it.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/child_process.hpp"

namespace qiao::testing {

// A fresh directory under /tmp, removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes a file (creating its directories) atomically: readers never see half of it.
  void write(const std::string& relative, const std::string& content) const;
  void remove(const std::string& relative) const;

 private:
  std::string path_;
};

// qiao.yaml for a test: two workers, the admin API on a free port, flows under flows/, endpoints
// in endpoints.yaml, logs and the journal under var/.
std::string server_config(const std::string& node_name, bool watch = false);

// The whole file (logs, data files); empty when it cannot be read.
std::string read_file(const std::string& path);

// How often `what` occurs in `text` (log lines, JSON answers), overlaps included.
std::size_t count_of(const std::string& text, const std::string& what);

// A TCP port that was free a moment ago (bound to port 0, then released).
int free_port();

// A port on 127.0.0.1 that refuses connections for as long as this lives: bound without
// listening, so a connect gets ECONNREFUSED and no other test, running in parallel, can listen
// there (a port from free_port() can be taken by the next gateway that asks for port 0).
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// The shipped configuration as `make run` uses it: config/qiao.yaml as qiao.yaml, the codec specs
// under config/, and examples/, copied into `dir`. Ports come from QIAO_* environment variables.
void copy_shipped_config(const TempDir& dir);

struct HttpResult {
  int status = 0;  // 0 when the request failed at the transport level
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // transport error text when status is 0
  std::string header(const std::string& name) const;
};

// One keep-alive connection; reconnects when the server closed it.
class HttpClient {
 public:
  explicit HttpClient(std::string address, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  int connections_opened() const { return connections_opened_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int connections_opened_ = 0;
};

// A request on a fresh connection.
HttpResult http_request(const std::string& address, const std::string& method, const std::string& target,
                        const std::string& body = "", const std::map<std::string, std::string>& headers = {});

// `qiao run` on a directory holding qiao.yaml; stopped (SIGTERM, then SIGKILL) on destruction.
class GatewayProcess {
 public:
  // Starts the binary with `dir` as working directory and waits until the admin API answers.
  // Throws std::runtime_error with the process output when it does not come up in time.
  // `launcher` goes before the binary (e.g. {"prlimit", "--nofile=256:256"}).
  explicit GatewayProcess(const TempDir& dir, std::vector<std::string> extra_args = {},
                          std::map<std::string, std::string> env = {}, std::vector<std::string> launcher = {});
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  const std::string& admin() const { return admin_; }
  // The token the gateway generated into var/admin.token; empty when qiao.yaml sets admin.token.
  const std::string& admin_token() const { return admin_token_; }
  // A request to the admin API on a fresh connection, with `Authorization: Bearer admin_token()`.
  HttpResult admin_request(const std::string& method, const std::string& target, const std::string& body = "",
                           std::map<std::string, std::string> headers = {}) const;
  // One sample of /metrics by name and labels (`qiao_queue_depth{endpoint="lis"}`): 0 when it has
  // no line (yet), nullopt when /metrics did not answer.
  std::optional<double> metric(const std::string& sample) const;
  // The bound address of a listener by key ("http 127.0.0.1:18080").
  std::string listener(const std::string& key) const;
  // SIGTERM and wait; returns the exit status (or -1 when it had to be killed).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(15));
  void signal(int sig) const;
  std::string output() const;  // stdout and stderr so far
  bool running() const;
  int pid() const { return process_->pid(); }  // for /proc/PID (memory, open files)

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string admin_;
  std::string admin_token_;
  std::map<std::string, std::string> listeners_;
};

// Runs a command (no shell), returns exit status and combined output.
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                          const std::string& cwd = "");

// Polls `done` every 10 ms until it is true or `timeout` passed; returns its last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(2));

// A peer the gateway talks to, played by the test: a TCP server on 127.0.0.1 that hands every
// accepted connection to `on_connection` on a thread of its own. Port 0 takes an ephemeral
// port; a given port lets a test stop a peer and start another on it (a peer restart). The
// peer owns the socket: the handler must not close it. When the peer is destroyed, it stops
// listening, open connections are shut down (reads in the handler return 0) and every thread is
// joined.
// A TcpPeer connection handler that reads and never answers: an endpoint that times out.
void never_answer(int fd);

class TcpPeer {
 public:
  explicit TcpPeer(std::function<void(int fd)> on_connection, int port = 0);
  ~TcpPeer();
  TcpPeer(const TcpPeer&) = delete;
  TcpPeer& operator=(const TcpPeer&) = delete;
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop();
  std::function<void(int)> on_connection_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// A blocking TCP connection to "host:port" (0.0.0.0 means 127.0.0.1); -1 when refused.
int connect_tcp(const std::string& address);

// Reads one HTTP/1.1 request (header and a Content-Length body) from a blocking socket;
// returns it whole, or an empty string when the peer closed first.
std::string read_http_request(int fd);
// Writes all of `data`; false when the connection failed.
bool write_all(int fd, const std::string& data);

}  // namespace qiao::testing
