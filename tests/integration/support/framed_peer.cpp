#include "tests/integration/support/framed_peer.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <stdexcept>

#include "core/config/config_node.hpp"

namespace qiao::testing {

tcp::Framing framing_of(const std::string& yaml) {
  auto node = ConfigNode::parse(yaml, "framing");
  if (!node) throw std::runtime_error(node.error().message);
  Diagnostics diag;
  auto framing = tcp::parse_framing(*node, 1024 * 1024, diag);
  if (!framing) throw std::runtime_error(diag.text());
  return *framing;
}

std::optional<std::string> FramedConnection::read(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto next = reader_.next();
    if (!next) return std::nullopt;
    if (*next) return std::move(**next);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      auto last = reader_.finish();
      if (last && *last && !(*last)->empty()) return std::move(**last);
      return std::nullopt;
    }
    reader_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
}

bool FramedConnection::write(const std::string& payload) {
  auto bytes = tcp::frame(framing_, payload);
  return bytes && write_raw(*bytes);
}

bool FramedConnection::write_raw(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void FramedConnection::hang_up() { ::shutdown(fd_, SHUT_RDWR); }

FramedPeer::FramedPeer(const std::string& framing_yaml, std::function<void(FramedConnection&)> on_connection, int port)
    : framing_(framing_of(framing_yaml)),
      peer_(
          [this, on_connection = std::move(on_connection)](int fd) {
            FramedConnection connection(fd, framing_);
            on_connection(connection);
          },
          port) {}

}  // namespace qiao::testing
