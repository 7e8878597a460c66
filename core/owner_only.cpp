#include "core/owner_only.hpp"

#include <system_error>

namespace qiao {

namespace fs = std::filesystem;

namespace {

Status failed(const fs::path& path, const std::error_code& ec) {
  return make_error(ErrorKind::config, "cannot make '" + path.string() + "' private to its owner: " + ec.message());
}

}  // namespace

Status restrict_to_owner(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(path, ec);
  if (ec || !fs::exists(status) || fs::is_symlink(status)) return Ok{};
  constexpr auto others = fs::perms::group_all | fs::perms::others_all;
  if ((status.permissions() & others) == fs::perms::none) return Ok{};
  fs::permissions(path, others, fs::perm_options::remove, ec);
  if (ec) return failed(path, ec);
  return Ok{};
}

Status restrict_tree_to_owner(const fs::path& dir) {
  if (auto done = restrict_to_owner(dir); !done) return done;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return Ok{};
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (auto done = restrict_to_owner(it->path()); !done) return done;
  }
  if (ec) return failed(dir, ec);
  return Ok{};
}

}  // namespace qiao
