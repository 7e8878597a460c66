// Maps a store URL from config/qiao.yaml to an implementation.

#include <filesystem>
#include <string_view>
#include <system_error>

#include "core/owner_only.hpp"
#include "core/store/postgres_store.hpp"
#include "core/store/sqlite_store.hpp"
#include "core/store/store.hpp"

namespace qiao {

namespace {

template <class T>
Expected<std::unique_ptr<Store>> as_store(Expected<std::unique_ptr<T>> opened) {
  if (!opened) return std::move(opened).error();
  return std::unique_ptr<Store>(std::move(*opened));
}

}  // namespace

Expected<std::unique_ptr<Store>> open_store(const std::string& url, const std::string& base_dir,
                                            const JournalLimits& limits, const QueueLease& lease) {
  constexpr std::string_view sqlite_scheme = "sqlite://";
  if (url == "sqlite::memory:") return as_store(SqliteStore::open_memory(SqliteStore::default_queue_capacity, limits));
  // libpq takes both spellings of the scheme as a connection URI, with everything after it.
  if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
    return as_store(PostgresStore::open(url, PostgresStore::default_queue_capacity, limits, lease));
  if (!url.starts_with(sqlite_scheme))
    return Error{ErrorKind::config,
                 "store: unsupported url '" + pg::redact(url) + "' (use sqlite://PATH or postgres://USER@HOST/DB)"};

  const std::filesystem::path named(url.substr(sqlite_scheme.size()));
  if (named.empty() || !named.has_filename())
    return Error{ErrorKind::config, "store: url '" + url + "' names no file (use sqlite://PATH)"};
  // An explicit "." keeps a bare relative name from reaching SQLite as ":memory:" or as a
  // "file:" URI, which SQLite would interpret instead of treating as a file name.
  const std::filesystem::path path =
      named.is_absolute() ? named : (std::filesystem::path(base_dir.empty() ? "." : base_dir) / named);

  std::error_code ec;
  const bool created = std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return Error{ErrorKind::config, "store: cannot create directory '" + path.parent_path().string() + "' for '" +
                                        path.string() + "': " + ec.message()};
  // The journal holds every message's raw bytes (patients' identity and phone numbers): its
  // directory, when the store made it, and its files are the owner's alone. SQLite gives the
  // -wal and -shm files it creates later the database file's mode.
  if (created) {
    if (auto done = restrict_to_owner(path.parent_path()); !done) return std::move(done).error();
  }
  auto opened = SqliteStore::open(path.string(), SqliteStore::default_queue_capacity, limits);
  if (!opened) return as_store(std::move(opened));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (auto done = restrict_to_owner(path.string() + suffix); !done) return std::move(done).error();
  }
  return as_store(std::move(opened));
}

}  // namespace qiao
