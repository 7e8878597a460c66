#include "core/admin_token.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace qiao {

namespace {

constexpr std::size_t token_bytes = 32;

Error file_error(const std::string& path, std::string_view what) {
  return make_error(ErrorKind::config, "admin token '" + path + "': " + std::string(what));
}

Error errno_error(const std::string& path, std::string_view doing) {
  return file_error(path, std::string(doing) + ": " + std::strerror(errno));
}

// An fd closed on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool is_token_text(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return c > ' ' && c < 0x7f; });
}

// O_NOFOLLOW: a symlink planted at the path cannot point the gateway at another file.
Expected<std::string> read_token(const std::string& path, int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return errno_error(path, "stat");
  if (!S_ISREG(info.st_mode)) return file_error(path, "not a regular file");
  if ((info.st_mode & 077) != 0 && ::fchmod(fd, info.st_mode & 0700) != 0) return errno_error(path, "chmod 0600");
  std::string text;
  std::array<char, 256> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(path, "read");
    if (n == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
    if (text.size() > 4096) return file_error(path, "longer than a token; remove it and a new one is generated");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (!is_token_text(text)) {
    return file_error(path, "empty, or not one line of printable characters; remove it and a new one is generated");
  }
  return text;
}

Expected<std::string> new_token(const std::string& path) {
  std::array<unsigned char, token_bytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return file_error(path, "no random bytes");
  static constexpr char hex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char byte : random) {
    token += hex[byte >> 4];
    token += hex[byte & 0xf];
  }
  return token;
}

// Written to a temporary name and linked into place, so a reader never sees half a token, and a
// gateway starting at the same moment in the same directory keeps the token that won.
Expected<std::string> create_token(const std::string& path) {
  auto token = new_token(path);
  if (!token) return token;
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) return errno_error(temporary, "create");
    const std::string line = *token + "\n";
    const bool written =
        ::write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd.get()) == 0;
    if (!written) {
      auto error = errno_error(temporary, "write");
      ::unlink(temporary.c_str());
      return error;
    }
  }
  const int linked = ::link(temporary.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked == 0) return token;
  if (link_errno != EEXIST) {
    errno = link_errno;
    return errno_error(path, "create");
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return errno_error(path, "open");
  return read_token(path, fd.get());
}

}  // namespace

Expected<std::string> load_or_create_admin_token(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() >= 0) return read_token(path, fd.get());
  if (errno != ENOENT) return errno_error(path, "open");
  return create_token(path);
}

}  // namespace qiao
