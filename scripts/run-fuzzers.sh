#!/usr/bin/env bash
# Runs every built fuzz target for a bounded time on its seed corpus; any crash fails the run.
# Findings are repeated at the very end (what broke, and the input as Base64), because a CI log is
# often read from its end and a clean clone's artifacts are gone once the run is over.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-30}
cd "$(dirname "$0")/.."
findings=$(mktemp)
trap 'rm -f "$findings"' EXIT
for target in "$build"/tests/fuzz/*_fuzz; do
  [ -x "$target" ] || continue
  name=$(basename "$target" _fuzz)
  corpus=tests/fuzz/corpus/$name
  log=$build/$name-fuzz.log
  work=$(mktemp -d)
  echo "fuzzing $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/" "$work" "$corpus" >"$log" 2>&1; then
    tail -n 40 "$log"
    {
      echo "== fuzz target $name failed (whole log: $log)"
      grep -m 5 -E "^${name}_fuzz: |ERROR: |runtime error|SUMMARY: " "$log" || true
      artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | head -n 1)
      if [ -n "$artifact" ] && [ -f "$artifact" ]; then
        echo "input, $(wc -c <"$artifact") bytes, as Base64 (first 64 KiB):"
        head -c 65536 "$artifact" | base64 -w 0
        echo
      fi
    } >>"$findings"
  else
    grep -E 'stat::number_of_executed_units|Done' "$log" | head -n 2 || true
  fi
  rm -rf "$work"
done
if [ -s "$findings" ]; then
  cat "$findings"
  exit 1
fi
