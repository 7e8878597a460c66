#pragma once
// The admin API's bearer token when admin.token is not configured: 32 random bytes (hex),
// generated on the first start into a file only the owner can read (var/admin.token), and read
// back from it on every later start, so scripts and operators find it in one place.

#include <string>

#include "core/error.hpp"

namespace qiao {

// Reads the token from `path`, or creates the file with a new one when there is none. A file
// others may read is made owner-only (0600) first. Errors (a damaged or unreadable file, no
// randomness) are ErrorKind::config errors naming the path.
Expected<std::string> load_or_create_admin_token(const std::string& path);

}  // namespace qiao
