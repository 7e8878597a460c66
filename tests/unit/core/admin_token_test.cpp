// The generated admin token: made once, private, read back the same; a file that is not a token
// stops the gateway instead of being silently replaced (scripts hold the old one).

#include "core/admin_token.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "core/owner_only.hpp"

namespace fs = std::filesystem;
using qiao::ErrorKind;
using qiao::load_or_create_admin_token;

namespace {

struct ScratchDir {
  ScratchDir() : path(fs::temp_directory_path() / ("qiao-token-test-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

int mode_of(const fs::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return -1;
  return static_cast<int>(info.st_mode & 07777);
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("admin token: 32 random bytes in hex, in a 0600 file, the same on the next start", "[admin]") {
  ScratchDir dir;
  const fs::path file = dir.path / "admin.token";
  auto first = load_or_create_admin_token(file.string());
  REQUIRE(first);
  CHECK(std::regex_match(*first, std::regex("[0-9a-f]{64}")));
  CHECK(mode_of(file) == 0600);
  auto again = load_or_create_admin_token(file.string());
  REQUIRE(again);
  CHECK(*again == *first);
  // No temporary file is left beside it.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);

  ScratchDir other;
  auto elsewhere = load_or_create_admin_token((other.path / "admin.token").string());
  REQUIRE(elsewhere);
  CHECK(*elsewhere != *first);
}

TEST_CASE("admin token: a file an operator wrote is used and made private", "[admin]") {
  ScratchDir dir;
  const fs::path file = dir.path / "admin.token";
  write(file, "operators-own-token\n");
  fs::permissions(file,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  auto token = load_or_create_admin_token(file.string());
  REQUIRE(token);
  CHECK(*token == "operators-own-token");
  CHECK(mode_of(file) == 0600);
}

TEST_CASE("admin token: an empty or damaged file, a directory or a symlink is an error naming the path", "[admin]") {
  ScratchDir dir;
  const fs::path file = dir.path / "admin.token";
  const std::vector<std::string> damaged{"", "\n", "two words\n", std::string("nul\0byte", 8), std::string(5000, 'a')};
  for (const std::string& text : damaged) {
    INFO(text.size());
    write(file, text);
    auto token = load_or_create_admin_token(file.string());
    REQUIRE_FALSE(token);
    CHECK(token.error().kind == ErrorKind::config);
    CHECK(token.error().message.find("admin token '" + file.string() + "': ") == 0);
  }
  fs::remove(file);
  fs::create_directory(file);
  CHECK_FALSE(load_or_create_admin_token(file.string()));
  fs::remove(file);

  // A planted symlink is not followed, so the gateway neither reads nor creates another file.
  write(dir.path / "elsewhere", "planted\n");
  fs::create_symlink(dir.path / "elsewhere", file);
  CHECK_FALSE(load_or_create_admin_token(file.string()));
  fs::remove(file);
  fs::create_symlink(dir.path / "missing", file);
  CHECK_FALSE(load_or_create_admin_token(file.string()));
  CHECK_FALSE(fs::exists(dir.path / "missing"));
}

TEST_CASE("owner only: group and other access is taken from a tree, symlinks are left alone", "[admin]") {
  ScratchDir dir;
  const fs::path var = dir.path / "var";
  fs::create_directories(var / "log");
  write(var / "qiao.db", "x");
  write(var / "log" / "system.log", "x");
  write(dir.path / "outside", "x");
  fs::create_symlink(dir.path / "outside", var / "link");
  const auto open_dir = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec;
  const auto open_file =
      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
  for (const auto& d : {var, var / "log"}) fs::permissions(d, open_dir);
  for (const auto& f : {var / "qiao.db", var / "log" / "system.log", dir.path / "outside"})
    fs::permissions(f, open_file);

  REQUIRE(qiao::restrict_tree_to_owner(var));
  CHECK(mode_of(var) == 0700);
  CHECK(mode_of(var / "log") == 0700);
  CHECK(mode_of(var / "qiao.db") == 0600);
  CHECK(mode_of(var / "log" / "system.log") == 0600);
  CHECK(mode_of(dir.path / "outside") == 0644);
  CHECK(qiao::restrict_to_owner(dir.path / "does-not-exist"));
}
