#pragma once
// The gateway's files are its own: the journal holds patients' data and var/admin.token opens
// the admin API. `qiao run` creates everything with umask 077; these take group and other access
// away from what an earlier version or a copy left readable (a 0644 qiao.db becomes 0600).

#include <filesystem>

#include "core/error.hpp"

namespace qiao {

// Removes group and other permissions from `path`; a missing path or a symlink is left as is
// (a symlink's target may be anything, and Linux symlinks have no permissions of their own).
Status restrict_to_owner(const std::filesystem::path& path);

// The same for a directory and everything below it, without following symlinks.
Status restrict_tree_to_owner(const std::filesystem::path& dir);

}  // namespace qiao
