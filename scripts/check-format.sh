#!/usr/bin/env bash
# The C++ sources follow .clang-format. `scripts/check-format.sh` says which files do not (and
# fails); `scripts/check-format.sh --fix` rewrites them. Pinned to clang-format-14, Debian 12's:
# another version formats some constructs differently and would fail code this one accepts.
set -euo pipefail
cd "$(dirname "$0")/.."
formatter=clang-format-14
mode=(--dry-run --Werror)
[[ "${1:-}" == "--fix" ]] && mode=(-i)
# Tracked files when this is a Git checkout, so build trees and scratch files are never judged.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
else
  mapfile -t files < <(find adapters app bench codecs core crypto tests -name '*.cpp' -o -name '*.hpp' -o -name '*.h')
fi
if ! "$formatter" "${mode[@]}" "${files[@]}"; then
  echo "check-format: the files above differ from .clang-format; scripts/check-format.sh --fix rewrites them" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
