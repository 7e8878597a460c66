#include "tests/integration/support/framed_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
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
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
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
    : framing_(framing_of(framing_yaml)), on_connection_(std::move(on_connection)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  const int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("cannot listen for the framed test peer on port " + std::to_string(port));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

void FramedPeer::accept_loop() {
  for (;;) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 20) < 0 && errno != EINTR) return;
    if (stopping_.load()) return;
    if (!(pfd.revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    if (stopping_.load()) {
      ::close(fd);
      return;
    }
    ++accepted_;
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] {
      FramedConnection connection(fd, framing_);
      on_connection_(connection);
    });
  }
}

FramedPeer::~FramedPeer() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  for (int fd : open_fds_) ::close(fd);
}

}  // namespace qiao::testing
