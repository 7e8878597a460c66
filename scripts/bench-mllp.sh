#!/usr/bin/env bash
# Loopback MLLP benchmark beside its yardstick: bench/mllp_load sends the hl7-adt example's ADT
# (one message at a time per connection, each waiting for its ACK) to
#   bench/mllp_echo, which only answers an AA (the limit of the hop on this machine), and
#   qiao's mllp-ack flow (decode, one Lua step, ack: auto, journal at its default level).
# The two take turns for BENCH_ROUNDS rounds (default 3); the summary gives the medians and qiao's
# ratio to the echo. Needs a build with -DQIAO_BENCHMARKS=ON.
#   scripts/bench-mllp.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
rounds=${BENCH_ROUNDS:-3}

for program in "$build/qiao" "$build/bench/mllp_load" "$build/bench/mllp_echo"; do
  [ -x "$program" ] || { echo "bench-mllp: $program is missing (cmake -DQIAO_BENCHMARKS=ON, then build it)" >&2; exit 2; }
done
echo_port=$(free_port) qiao_port=$(free_port)

"$build/bench/mllp_echo" "127.0.0.1:$echo_port" & pids+=($!)
mkdir -p "$work/qiao" "$work/tcp"
cp bench/mllp/qiao.yaml "$work/qiao/"
cp -r bench/tcp/flows "$work/tcp/"
(cd "$work/qiao" && BENCH_MLLP_PORT=$qiao_port exec "$root/$build/qiao" run -c qiao.yaml >"$work/qiao.out" 2>&1) &
qiao_pid=$!

# Ready once both answer a message.
ready=
for _ in $(seq 1 100); do
  "$build/bench/mllp_load" "127.0.0.1:$echo_port" -c 1 -d 0.05 -t 1 >/dev/null 2>&1 &&
    "$build/bench/mllp_load" "127.0.0.1:$qiao_port" -c 1 -d 0.05 -t 1 >/dev/null 2>&1 && { ready=1; break; }
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "bench-mllp: a target did not answer; qiao's output:" >&2
  cat "$work/qiao.out" >&2
  exit 1
fi

failures=0
echo_rates=() qiao_rates=() qiao_p99=()
run() {  # name port: prints mllp_load's line, sets $rate and $p99
  local line
  if ! line=$("$build/bench/mllp_load" "127.0.0.1:$2" -c "$connections" -d "$seconds" -f examples/hl7-adt/adt.hl7); then
    failures=$((failures + 1))
  fi
  rate=$(echo "$line" | awk '{ for (i = 1; i <= NF; i++) if ($i == "msg/s") print $(i - 1) }')
  p99=$(echo "$line" | awk '{ for (i = 1; i <= NF; i++) if ($i == "p99") print $(i + 1) }')
  printf '  %-28s %s\n' "$1" "${line#*: }"
}

echo "mllp_load -c$connections -d${seconds}s on $(nproc) cores, $rounds rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  echo "round $round"
  run "raw echo (mllp_echo)" "$echo_port"; echo_rates+=("$rate")
  run "qiao mllp-ack flow" "$qiao_port"; qiao_rates+=("$rate"); qiao_p99+=("$p99")
done
ps -o rss= -p "$qiao_pid" | awk '{ printf "qiao resident memory after the runs: %.1f MiB\n", $1 / 1024 }'
echo_median=$(median "${echo_rates[@]}")
qiao_median=$(median "${qiao_rates[@]}")
echo "medians of $rounds rounds: raw echo $echo_median msg/s, qiao $qiao_median msg/s (p99 $(median "${qiao_p99[@]}") ms)"
awk -v q="$qiao_median" -v y="$echo_median" 'BEGIN { printf "  qiao mllp-ack / raw echo             %.2fx\n", q / y }'
if [ "$failures" -ne 0 ]; then
  echo "bench-mllp: *** $failures run(s) had errors or non-AA answers; qiao's output: ***" >&2
  tail -n 20 "$work/qiao.out" >&2
  exit 1
fi
