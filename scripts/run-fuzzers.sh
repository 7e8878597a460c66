#!/usr/bin/env bash
# Runs every built fuzz target for a bounded time on its seed corpus; any crash fails the run.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-30}
cd "$(dirname "$0")/.."
status=0
for target in "$build"/tests/fuzz/*_fuzz; do
  [ -x "$target" ] || continue
  name=$(basename "$target" _fuzz)
  corpus=tests/fuzz/corpus/$name
  work=$(mktemp -d)
  echo "fuzzing $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/" "$work" "$corpus" >"$build/$name-fuzz.log" 2>&1; then
    tail -n 60 "$build/$name-fuzz.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units|Done' "$build/$name-fuzz.log" | head -n 2 || true
  fi
  rm -rf "$work"
done
exit $status
