#!/usr/bin/env bash
# Runs every built fuzz target (BUILD/tests/fuzz/*_fuzz) in one of two modes:
#   replay            each input of tests/fuzz/corpus/<name> and tests/fuzz/findings/<name> once:
#                     deterministic, the CI gate (`make test`)
#   explore SECONDS   libFuzzer for SECONDS per target from that corpus (`make fuzz`); inputs that
#                     reach new code join tests/fuzz/corpus/<name> (-merge=1 keeps only those), a
#                     crash is copied to tests/fuzz/findings/<name>/ — commit both, with the fix
# Failures are repeated at the very end (the broken promise or sanitizer line, and the input as
# Base64), because a CI log is read from its end and a clean clone's artifacts are gone after it.
set -euo pipefail
usage() { echo "usage: $0 BUILD replay | BUILD explore SECONDS" >&2; exit 2; }
[ $# -ge 2 ] || usage
build=$1
mode=$2
seconds=${3:-}
case "$mode" in
  replay) ;;
  explore) [[ "$seconds" =~ ^[0-9]+$ ]] || usage ;;
  *) usage ;;
esac
cd "$(dirname "$0")/.."
findings=$(mktemp)
work_dirs=()
cleanup() { rm -rf "$findings" "${work_dirs[@]}"; }
trap cleanup EXIT
targets=0
for target in "$build"/tests/fuzz/*_fuzz; do
  [ -x "$target" ] || continue
  targets=$((targets + 1))
  name=$(basename "$target" _fuzz)
  corpus=tests/fuzz/corpus/$name
  found=tests/fuzz/findings/$name
  inputs=("$corpus")
  [ -d "$found" ] && inputs+=("$found")
  log=$build/$name-fuzz.log
  artifacts=$(mktemp -d)
  work_dirs+=("$artifacts")
  common=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/")
  if [ "$mode" = replay ]; then
    count=$(find "${inputs[@]}" -type f | wc -l)
    echo "replaying $name: $count inputs"
    run=("$target" -runs=0 "${common[@]}" "${inputs[@]}")
  else
    work=$(mktemp -d)
    work_dirs+=("$work")
    echo "fuzzing $name for ${seconds}s"
    run=("$target" -max_total_time="$seconds" -print_final_stats=1 "${common[@]}" "$work" "${inputs[@]}")
  fi
  if ! "${run[@]}" >"$log" 2>&1; then
    tail -n 40 "$log"
    {
      echo "== fuzz target $name failed (whole log: $log)"
      grep -m 5 -E "^${name}_fuzz: |ERROR: |runtime error|SUMMARY: |^Running: " "$log" || true
      artifact=$(find "$artifacts" -type f | head -n 1)
      if [ -n "$artifact" ]; then
        if [ "$mode" = explore ]; then
          mkdir -p "$found"
          cp "$artifact" "$found/"
          echo "kept as $found/$(basename "$artifact")"
        fi
        echo "input, $(wc -c <"$artifact") bytes, as Base64 (first 64 KiB):"
        head -c 65536 "$artifact" | base64 -w 0
        echo
      fi
    } >>"$findings"
  elif [ "$mode" = explore ]; then
    grep -E 'stat::number_of_executed_units' "$log" || true
    before=$(find "$corpus" -type f | wc -l)
    "$target" -merge=1 "${common[@]}" "$corpus" "$work" >>"$log" 2>&1
    echo "corpus $corpus: $before -> $(find "$corpus" -type f | wc -l) inputs"
  fi
done
if [ "$targets" -eq 0 ]; then
  echo "no fuzz targets under $build/tests/fuzz" >&2
  exit 1
fi
if [ -s "$findings" ]; then
  cat "$findings"
  exit 1
fi
echo "fuzz $mode: $targets targets passed"
