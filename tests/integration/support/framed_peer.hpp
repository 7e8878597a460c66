#pragma once
// A TCP peer for the tcp adapter's tests that speaks a framing (MLLP, length prefix …) with the
// real framing library: a bank host, a LIS, a misbehaving server. Unlike TcpPeer it can listen
// on a port it is given, so a test can stop it and start another on the same port (a peer
// restart). Every read has a timeout, so a test never hangs on a quiet gateway.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/tcp/framing/frame_reader.hpp"
#include "adapters/tcp/framing/framing.hpp"

namespace qiao::testing {

// A framing from its YAML text ("mllp", "{length: 2}").
tcp::Framing framing_of(const std::string& yaml);

// One accepted connection, as the handler sees it.
class FramedConnection {
 public:
  FramedConnection(int fd, const tcp::Framing& framing) : fd_(fd), framing_(framing), reader_(framing_) {}
  // The next payload; nullopt when the peer closed, the stream broke or `timeout` passed.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool write(const std::string& payload);    // framed
  bool write_raw(const std::string& bytes);  // as given, e.g. half a frame
  void hang_up();                            // shutdown(2): the gateway reads end-of-stream
  int fd() const { return fd_; }

 private:
  int fd_;
  tcp::Framing framing_;
  tcp::FrameReader reader_;
};

class FramedPeer {
 public:
  // port 0: an ephemeral port.
  FramedPeer(const std::string& framing_yaml, std::function<void(FramedConnection&)> on_connection, int port = 0);
  ~FramedPeer();  // shuts every connection down and joins the handlers
  FramedPeer(const FramedPeer&) = delete;
  FramedPeer& operator=(const FramedPeer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop();
  tcp::Framing framing_;
  std::function<void(FramedConnection&)> on_connection_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace qiao::testing
