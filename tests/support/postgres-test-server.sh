#!/usr/bin/env bash
# The PostgreSQL server the PostgreSQL store's unit tests share, one per ctest run (the CTest
# fixture "postgres" in tests/CMakeLists.txt starts and stops it; each test makes its own database).
#
#   postgres-test-server.sh start STATE   initdb into a fresh directory under /tmp, start the server
#                                        on a Unix socket there (no TCP port, so nothing can collide
#                                        with it), write "host=… port=… dir=…" to STATE
#   postgres-test-server.sh stop STATE    stop it and remove its directory and STATE
#
# Without the PostgreSQL binaries (QIAO_PG_BINDIR, default Debian 12's) STATE says "absent …" and
# the tests report that they did not run. PostgreSQL refuses to run as root: as root the server
# runs as the user postgres, in a directory it owns.
set -euo pipefail

cmd=${1:?usage: $0 start|stop STATE}
state=${2:?usage: $0 start|stop STATE}
bindir=${QIAO_PG_BINDIR:-/usr/lib/postgresql/15/bin}

as=()
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); fi

case "$cmd" in
  start)
    # A run that was cut short (Ctrl-C) left its server running: stop it rather than keep it.
    if [ -f "$state" ]; then "$0" stop "$state"; fi
    if [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
      echo "absent $bindir" >"$state"
      echo "no PostgreSQL in $bindir (scripts/install-deps.sh test installs it): its tests will not run"
      exit 0
    fi
    dir=$(mktemp -d /tmp/qiao-pg-XXXXXX)
    mkdir "$dir/sock"
    if [ ${#as[@]} -gt 0 ]; then chown -R postgres: "$dir"; fi
    # fsync off: the tests check what the store writes and reads, not the server's durability,
    # and a commit then costs no disk flush on a CI machine shared with builds.
    "${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log"; exit 1; }
    if ! "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir/sock -p 5432 -c listen_addresses= -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        start >/dev/null; then
      cat "$dir/server.log"
      exit 1
    fi
    printf 'host=%s\nport=5432\ndir=%s\n' "$dir/sock" "$dir" >"$state"
    echo "PostgreSQL test server in $dir"
    ;;
  stop)
    [ -f "$state" ] || exit 0
    dir=$(sed -n 's/^dir=//p' "$state")
    rm -f "$state"
    [ -n "$dir" ] || exit 0
    "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop STATE" >&2
    exit 2
    ;;
esac
