#!/usr/bin/env bash
# Times one stage of `make test` and keeps the time in STAGE_TIMES, so the run can print every
# stage's time together (`stage.sh --summary`) before its last stage, whose own closing lines
# (CTest's summary) must stay the last lines of the log.
#   stage.sh NAME COMMAND…   runs COMMAND, prints and records how long NAME took
#   stage.sh --summary       prints the recorded times
set -euo pipefail
times=${STAGE_TIMES:?STAGE_TIMES names the file the stage times go to}
if [ "${1:-}" = --summary ]; then
  echo "== stage times (seconds)"
  cat "$times"
  exit 0
fi
mkdir -p "$(dirname "$times")"
name=$1
shift
echo "== stage: $name"
start=$(date +%s)
status=0
"$@" || status=$?
seconds=$(( $(date +%s) - start ))
printf '%6d  %s%s\n' "$seconds" "$name" "$([ $status -eq 0 ] || echo '  (failed)')" >>"$times"
echo "== stage: $name took ${seconds}s$([ $status -eq 0 ] || echo ", failed with status $status")"
exit $status
