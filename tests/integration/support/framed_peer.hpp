#pragma once
// A TCP peer for the tcp adapter's tests that speaks a framing (MLLP, length prefix …) with the
// real framing library: a bank host, a LIS, a misbehaving server. A TcpPeer underneath accepts
// and runs the handlers; this adds the framing. Every read has a timeout, so a test never hangs
// on a quiet gateway.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "adapters/tcp/framing/frame_reader.hpp"
#include "adapters/tcp/framing/framing.hpp"
#include "tests/integration/support/gateway_process.hpp"

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
  // port 0: an ephemeral port; a given port allows a peer restart.
  FramedPeer(const std::string& framing_yaml, std::function<void(FramedConnection&)> on_connection, int port = 0);

  int port() const { return peer_.port(); }
  std::string address() const { return peer_.address(); }
  int accepted() const { return peer_.accepted(); }

 private:
  tcp::Framing framing_;
  TcpPeer peer_;  // after framing_: its handlers use it until the peer is destroyed
};

}  // namespace qiao::testing
