#include "tests/integration/support/gateway_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace qiao::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

TempDir::TempDir() {
  std::random_device rd;
  path_ =
      (fs::temp_directory_path() / ("qiao-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()))).string();
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TempDir::write(const std::string& relative, const std::string& content) const {
  const fs::path target = fs::path(path_) / relative;
  fs::create_directories(target.parent_path());
  // Written beside the target and renamed over it; the temporary name ends in .tmp so the
  // gateway's file watcher ignores it.
  const fs::path temporary = target.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
  }
  fs::rename(temporary, target);
}

void TempDir::remove(const std::string& relative) const { fs::remove(fs::path(path_) / relative); }

std::string server_config(const std::string& node_name, bool watch) {
  return "node: { name: " + node_name +
         ", threads: 2 }\n"
         "admin: { listen: \"127.0.0.1:0\" }\n"
         "store: { url: \"sqlite://var/qiao.db\" }\n"
         "flows: [ \"flows/*.yaml\" ]\n"
         "endpoints: [ endpoints.yaml ]\n"
         "log: { dir: var/log, level: info, console: false }\n"
         "reload: { watch: " +
         (watch ? "true" : "false") + " }\n";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void copy_shipped_config(const TempDir& dir) {
  namespace fs = std::filesystem;
  const fs::path source(QIAO_SOURCE_DIR);
  const fs::path target(dir.path());
  fs::copy(source / "examples", target / "examples", fs::copy_options::recursive);
  fs::copy(source / "flows", target / "flows", fs::copy_options::recursive);
  fs::create_directories(target / "config");
  fs::copy(source / "config" / "iso8583", target / "config" / "iso8583", fs::copy_options::recursive);
  fs::copy(source / "config" / "layouts", target / "config" / "layouts", fs::copy_options::recursive);
  fs::copy_file(source / "config" / "qiao.yaml", target / "qiao.yaml");
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

int free_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

RefusingPort::RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  // No SO_REUSEADDR: with it, a listener that also sets it could bind the port beside us.
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot bind a refusing port on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
}

RefusingPort::~RefusingPort() {
  if (fd_ >= 0) ::close(fd_);
}

std::string HttpResult::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

std::pair<std::string, std::string> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  return {host, address.substr(colon + 1)};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

struct HttpClient::Impl {
  std::string address;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::string address, std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>()) {
  impl_->address = std::move(address);
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  HttpResult result;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->stream != nullptr;
    try {
      if (!impl_->stream) {
        auto [host, port] = split_address(impl_->address);
        tcp::resolver resolver(impl_->io);
        impl_->stream = std::make_unique<beast::tcp_stream>(impl_->io);
        impl_->stream->expires_after(impl_->timeout);
        impl_->stream->connect(resolver.resolve(host, port));
        impl_->buffer.clear();
        ++connections_opened_;
      }
      bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
      req.set(bhttp::field::host, impl_->address);
      for (const auto& [name, value] : headers) req.set(name, value);
      if (!body.empty() && req.find(bhttp::field::content_type) == req.end())
        req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
      impl_->stream->expires_after(impl_->timeout);
      bhttp::write(*impl_->stream, req);
      bhttp::response<bhttp::string_body> res;
      // Beast's synchronous read has no timeout of its own; poll the socket with ours.
      impl_->stream->socket().non_blocking(false);
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(64u << 20);
      const auto deadline = std::chrono::steady_clock::now() + impl_->timeout;
      boost::system::error_code ec;
      while (!parser.is_done()) {
        if (impl_->buffer.size() == 0) {
          pollfd pfd{impl_->stream->socket().native_handle(), POLLIN, 0};
          const auto left =
              std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
          if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            throw std::runtime_error("timed out waiting for the reply");
          }
        }
        bhttp::read_some(impl_->stream->socket(), impl_->buffer, parser, ec);
        if (ec) throw boost::system::system_error(ec);
      }
      res = parser.release();
      result.status = static_cast<int>(res.result_int());
      result.body = res.body();
      for (const auto& field : res)
        result.headers[lower(std::string(field.name_string()))] = std::string(field.value());
      if (!res.keep_alive()) impl_->stream.reset();
      return result;
    } catch (const std::exception& e) {
      impl_->stream.reset();
      result.error = e.what();
      // A keep-alive connection the server closed meanwhile is retried once on a new one.
      if (!reused) break;
    }
  }
  result.status = 0;
  return result;
}

HttpResult http_request(const std::string& address, const std::string& method, const std::string& target,
                        const std::string& body, const std::map<std::string, std::string>& headers) {
  HttpClient client(address);
  auto with_close = headers;
  with_close["Connection"] = "close";
  return client.request(method, target, body, with_close);
}

GatewayProcess::GatewayProcess(const TempDir& dir, std::vector<std::string> extra_args,
                               std::map<std::string, std::string> env, std::vector<std::string> launcher) {
  std::vector<std::string> args = std::move(launcher);
  args.insert(args.end(), {QIAO_BINARY, "run", "-c", "qiao.yaml"});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(args, dir.path(), env);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    process_->read_available(std::chrono::milliseconds(50));
    if (!running()) break;
    const std::string output = process_->output();
    const auto admin_line = output.find("admin listening on ");
    if (admin_line != std::string::npos) {
      const auto end = output.find('\n', admin_line);
      if (end != std::string::npos) {
        admin_ = output.substr(admin_line + 19, end - admin_line - 19);
        // Listener lines come before the admin line is flushed with them: "KEY listening on ADDR".
        std::size_t pos = 0;
        while ((pos = output.find(" listening on ", pos)) != std::string::npos) {
          const auto line_start = output.rfind('\n', pos);
          const auto start = line_start == std::string::npos ? 0 : line_start + 1;
          const auto line_end = output.find('\n', pos);
          if (line_end == std::string::npos) break;
          listeners_[output.substr(start, pos - start)] = output.substr(pos + 14, line_end - pos - 14);
          pos = line_end;
        }
        if (http_request(admin_, "GET", "/healthz").status == 200) {
          admin_token_ = read_file(dir.path() + "/var/admin.token");
          while (!admin_token_.empty() && admin_token_.back() == '\n') admin_token_.pop_back();
          return;
        }
      }
    }
  }
  const std::string text = output();
  stop(std::chrono::seconds(2));
  throw std::runtime_error("qiao did not start:\n" + text);
}

GatewayProcess::~GatewayProcess() = default;

std::string GatewayProcess::listener(const std::string& key) const {
  auto it = listeners_.find(key);
  return it == listeners_.end() ? std::string() : it->second;
}

std::optional<double> GatewayProcess::metric(const std::string& sample) const {
  const HttpResult r = admin_request("GET", "/metrics");
  if (r.status != 200) return std::nullopt;
  const std::string prefix = sample + " ";
  for (auto at = r.body.find(prefix); at != std::string::npos; at = r.body.find(prefix, at + 1))
    if (at == 0 || r.body[at - 1] == '\n') return std::strtod(r.body.c_str() + at + prefix.size(), nullptr);
  return 0.0;
}

HttpResult GatewayProcess::admin_request(const std::string& method, const std::string& target, const std::string& body,
                                         std::map<std::string, std::string> headers) const {
  headers.emplace("Authorization", "Bearer " + admin_token_);
  return http_request(admin_, method, target, body, headers);
}

void GatewayProcess::signal(int sig) const { process_->signal(sig); }
bool GatewayProcess::running() const { return process_->running(); }
int GatewayProcess::stop(std::chrono::milliseconds grace) { return process_->stop(grace); }
std::string GatewayProcess::output() const { return process_->output(); }

CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text, const std::string& cwd) {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  const int pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(out_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    exec_in_child(argv, cwd);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  // Small inputs only: the whole text fits the pipe buffer before the child reads it.
  if (!stdin_text.empty() && ::write(in_pipe[1], stdin_text.data(), stdin_text.size()) < 0) {
    ::close(in_pipe[1]);
    throw std::runtime_error("write to child failed");
  }
  ::close(in_pipe[1]);
  CommandResult result;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(out_pipe[0], buffer, sizeof buffer)) > 0)
    result.output.append(buffer, static_cast<std::size_t>(n));
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void never_answer(int fd) {
  char buffer[4096];
  while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
  }
}

TcpPeer::TcpPeer(std::function<void(int fd)> on_connection, int port) : on_connection_(std::move(on_connection)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  // A restarted peer binds the port its predecessor's connections may still hold in TIME_WAIT.
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
    throw std::runtime_error("cannot listen for the test peer on port " + std::to_string(port));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

void TcpPeer::accept_loop() {
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
    threads_.emplace_back([this, fd] { on_connection_(fd); });
  }
}

TcpPeer::~TcpPeer() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  // Stop listening first: a gateway reconnecting meanwhile is refused, not left in the backlog.
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

int connect_tcp(const std::string& address) {
  auto [host, port] = split_address(address);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return -1;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string read_http_request(int fd) {
  std::string data;
  char buffer[4096];
  std::size_t header_end = std::string::npos;
  std::size_t want = 0;
  for (;;) {
    if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
      const std::string head = lower(data.substr(0, header_end));
      const auto cl = head.find("\r\ncontent-length:");
      want = header_end + 4 + (cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 17)));
    }
    if (header_end != std::string::npos && data.size() >= want) return data;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return {};
    data.append(buffer, static_cast<std::size_t>(n));
  }
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace qiao::testing
