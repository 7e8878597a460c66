#!/usr/bin/env bash
# Instructions per message of the mllp-ack flow, which do not swing with a shared VM's speed the way
# time does: qiao runs under valgrind's callgrind with one worker while bench/mllp_load sends the
# hl7-adt example's ADT over 4 connections; prints the inclusive count of the worker thread and of
# its main parts, and of the journal writer's thread, divided by the messages ACKed. Slow (valgrind);
# needs a build with -DQIAO_BENCHMARKS=ON and valgrind (scripts/install-deps.sh bench).
#   scripts/bench-mllp-instructions.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
command -v valgrind >/dev/null || { echo "bench-mllp-instructions: needs valgrind (apt install valgrind)" >&2; exit 2; }
port=$(free_port)
mkdir -p "$work/qiao" "$work/tcp"
cp bench/mllp/qiao.yaml "$work/qiao/"
cp -r bench/tcp/flows "$work/tcp/"
(cd "$work/qiao" && BENCH_MLLP_PORT=$port QIAO_THREADS=1 exec valgrind --tool=callgrind \
  --callgrind-out-file="$work/callgrind.out" "$root/$build/qiao" run -c qiao.yaml >"$work/qiao.out" 2>&1) &
qiao_pid=$!
ready=
for _ in $(seq 1 300); do
  "$build/bench/mllp_load" "127.0.0.1:$port" -c 1 -d 0.2 -t 5 >/dev/null 2>&1 && { ready=1; break; }
  sleep 0.2
done
[ -n "$ready" ] || { echo "bench-mllp-instructions: qiao did not answer:" >&2; cat "$work/qiao.out" >&2; exit 1; }
line=$("$build/bench/mllp_load" "127.0.0.1:$port" -c 4 -d "$seconds" -t 10 -f examples/hl7-adt/adt.hl7)
echo "$line"
acked=$(echo "$line" | awk '{ for (i = 1; i <= NF; i++) if ($i == "ACKed") print $(i - 1) }')
kill "$qiao_pid"
wait "$qiao_pid" 2>/dev/null || true
qiao_pid=
# The messages that made qiao ready count too; they are a few among thousands.
callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null | awk -v n="$acked" '
  function row(name) { gsub(",", "", $1); printf "  %-40s %9.0f instructions/message\n", name, $1 / n }
  /Runtime::Threads::start\(\)::\{lambda/ && !w++ { row("the worker thread") }
  /LuaWorker::run\(/ && !l++ { row("Lua steps") }
  /decode_body\(/ && !d++ { row("decoding the body") }
  /Engine::account\(/ && !a++ { row("business log line and journal entry") }
  /start_writer\(\)::\{lambda/ && !j++ { row("the journal writer thread") }'
