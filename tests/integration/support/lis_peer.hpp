#pragma once
// The store-and-forward tests' two ends, outside the gateway: a LIS it delivers to (lis_peer.py,
// python3-hl7's asyncio MLLP server, run by Debian's /usr/bin/python3) and an HIS that sends it
// ADT messages over MLLP and reads each ACK with a timeout. Header-only: the integration
// binary's support sources are listed one by one in tests/CMakeLists.txt.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/tcp/framing/frame_reader.hpp"
#include "adapters/tcp/framing/framing.hpp"
#include "tests/integration/support/child_process.hpp"
#include "tests/integration/support/gateway_process.hpp"

namespace qiao::testing {

// One line of the LIS's log: a message it received, and what it answered.
struct LisArrival {
  std::string control_id;  // MSH-10
  std::string patient;     // PID-3.1
  std::string code;        // AA, AR or AE
};

class LisPeer {
 public:
  struct Options {
    std::string reject_prefix = "REJECT";  // PID-3.1 prefix answered AR
    std::string error_prefix = "ERROR";    // PID-3.1 prefix answered AE
    int ack_delay_ms = 0;                  // between logging a message and answering it
  };

  // Files go under `dir`: lis.log (kept across restarts: one history of arrivals), lis.port,
  // lis.accept (present: every message gets AA).
  explicit LisPeer(std::string dir, Options options) : dir_(std::move(dir)), options_(std::move(options)) {}
  explicit LisPeer(std::string dir) : LisPeer(std::move(dir), Options{}) {}

  // Starts the LIS on `port` (0: ephemeral) and waits for its ready line; returns the port.
  int start(int port = 0) {
    if (process_) throw std::logic_error("the LIS is already running");
    std::filesystem::remove(dir_ + "/lis.port");
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     std::string(QIAO_SOURCE_DIR) + "/tests/integration/support/lis_peer.py",
                                     "--port",
                                     std::to_string(port),
                                     "--port-file",
                                     dir_ + "/lis.port",
                                     "--log",
                                     log_path(),
                                     "--reject-prefix",
                                     options_.reject_prefix,
                                     "--error-prefix",
                                     options_.error_prefix,
                                     "--accept-file",
                                     dir_ + "/lis.accept",
                                     "--ack-delay-ms",
                                     std::to_string(options_.ack_delay_ms)};
    process_ = std::make_unique<ChildProcess>(argv, dir_);
    if (!process_->wait_for_output("lis listening on ", std::chrono::seconds(10))) {
      const std::string text = process_->output();
      process_.reset();
      throw std::runtime_error("the LIS did not start:\n" + text);
    }
    std::string text = read_file(dir_ + "/lis.port");
    port_ = std::stoi(text);
    return port_;
  }

  // SIGTERM, and the process reaped: the port no longer listens when this returns.
  void stop() {
    if (!process_) return;
    process_->stop(std::chrono::seconds(5));
    output_ += process_->output();
    process_.reset();
  }

  bool running() const { return process_ && process_->running(); }
  int port() const { return port_; }
  std::string output() const { return output_ + (process_ ? process_->output() : std::string()); }

  // Switches between answering AR to --reject-prefix and accepting everything, without a restart.
  void accept_all(bool on) const {
    if (on) {
      std::ofstream(dir_ + "/lis.accept") << "1\n";
    } else {
      std::filesystem::remove(dir_ + "/lis.accept");
    }
  }

  std::string log_path() const { return dir_ + "/lis.log"; }

  // Every arrival so far, in the order the LIS logged them (a line is written whole and flushed
  // per message; a last line without its newline is still being written and left out).
  std::vector<LisArrival> arrivals() const {
    std::vector<LisArrival> result;
    const std::string text = read_file(log_path());
    std::size_t start = 0;
    for (std::size_t end = text.find('\n'); end != std::string::npos; start = end + 1, end = text.find('\n', start)) {
      std::istringstream line(text.substr(start, end - start));
      LisArrival a;
      line >> a.control_id >> a.patient >> a.code;
      result.push_back(std::move(a));
    }
    return result;
  }

  ~LisPeer() { stop(); }
  LisPeer(const LisPeer&) = delete;
  LisPeer& operator=(const LisPeer&) = delete;

 private:
  std::string dir_;
  Options options_;
  std::unique_ptr<ChildProcess> process_;
  std::string output_;
  int port_ = 0;
};

// An HIS sending over MLLP, one message at a time on one connection, as a sender that waits for
// each ACK does. A connection the gateway dropped (killed) is opened again by the next send.
class MllpSender {
 public:
  explicit MllpSender(std::string address) : address_(std::move(address)) {}
  ~MllpSender() { disconnect(); }
  MllpSender(const MllpSender&) = delete;
  MllpSender& operator=(const MllpSender&) = delete;

  // Writes the framed message; false when no connection could be made or the write failed.
  bool write(const std::string& message) {
    if (fd_ < 0) {
      fd_ = connect_tcp(address_);
      reader_ = std::make_unique<tcp::FrameReader>(framing_);  // MLLP, the default framing
      if (fd_ < 0) return false;
    }
    if (!write_all(fd_, "\x0b" + message + "\x1c\r")) {
      disconnect();
      return false;
    }
    return true;
  }

  // The next ACK's payload; nullopt when the connection ended or `timeout` passed (the connection
  // is then dropped: a late ACK must not be taken for the next message's).
  std::optional<std::string> read_ack(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (fd_ < 0) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto next = reader_->next(); next && *next) return **next;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      reader_->feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    }
    disconnect();
    return std::nullopt;
  }

  std::optional<std::string> send(const std::string& message,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (!write(message)) return std::nullopt;
    return read_ack(timeout);
  }

  void disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string address_;
  int fd_ = -1;
  tcp::Framing framing_;  // the reader keeps a reference to it
  std::unique_ptr<tcp::FrameReader> reader_;
};

// MSA-1 of an ACK ("AA"), empty when it has none.
inline std::string ack_code(const std::string& ack) {
  const auto msa = ack.find("\rMSA|");
  if (msa == std::string::npos) return {};
  return ack.substr(msa + 5, 2);
}

}  // namespace qiao::testing
