#!/usr/bin/env bash
# Loopback TCP benchmark of the tcp adapter (bench/tcp/qiao.yaml):
#   MLLP      bench/mllp_load (one HL7 message at a time per connection, each waiting for its ACK)
#             against a flow that only ACKs (decode, a Lua step, ack: auto) at 1 and CONNECTIONS
#             connections, and the hl7-adt example (gateway -> LIS simulator over MLLP) at
#             CONNECTIONS connections;
#   ISO 8583  wrk against the kiosk-payment example's POST /api/pay: each request is one 0200/0210
#             exchange with the bank simulator over the multiplexed long connection. With
#             `node.threads: 1` there is one worker and so exactly one bank connection (a worker
#             owns its connections; pool: 1); with threads auto, one per worker.
# Prints one line per run and qiao's resident memory. Needs a build with -DQIAO_BENCHMARKS=ON.
#   scripts/bench-tcp.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"

for program in "$build/qiao" "$build/bench/mllp_load"; do
  [ -x "$program" ] || { echo "bench-tcp: $program is missing (cmake -DQIAO_BENCHMARKS=ON, then build it)" >&2; exit 2; }
done

ack_port=$(free_port) adt_port=$(free_port) lis_port=$(free_port) http_port=$(free_port) bank_port=$(free_port)

mkdir -p "$work/qiao/flows"
cp bench/tcp/qiao.yaml "$work/qiao/"
cp bench/tcp/flows/*.yaml "$work/qiao/flows/"
sed -i "s#\.\./\.\./examples#$root/examples#g" "$work/qiao/qiao.yaml"
# The iso8583 codec reads its dialect (config/iso8583/cup.yaml) relative to the directory qiao runs in.
mkdir -p "$work/qiao/config" && cp -r config/iso8583 "$work/qiao/config/"

start_qiao() {  # threads
  (cd "$work/qiao" && QIAO_THREADS=$1 BENCH_MLLP_PORT=$ack_port QIAO_MLLP_PORT=$adt_port QIAO_LIS_PORT=$lis_port \
     QIAO_HTTP_PORT=$http_port QIAO_BANK_PORT=$bank_port exec "$root/$build/qiao" run -c qiao.yaml >>"$work/qiao.out" 2>&1) &
  qiao_pid=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null -X POST -d '{"orderNo":"W1","cardNo":"6222020200112233445","amount":"1.00"}' \
      "http://127.0.0.1:$http_port/api/pay" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench-tcp: qiao did not answer on /api/pay; its output:" >&2
  cat "$work/qiao.out" >&2
  exit 1
}

stop_qiao() {
  kill "$qiao_pid"
  wait "$qiao_pid" 2>/dev/null || true
  qiao_pid=
}

failures=0
mllp() {  # name port connections
  local line
  if ! line=$("$build/bench/mllp_load" "127.0.0.1:$2" -c "$3" -d "$seconds" -f examples/hl7-adt/adt.hl7 2>"$work/mllp.err"); then
    failures=$((failures + 1))
  fi
  # mllp_load's line: ... N ACKed (AA)  R msg/s  ACK latency p50 X ms  p99 Y ms  max Z ms  not AA A  errors E
  echo "$line" | awk -v name="$1" -v c="$3" '{
    for (i = 1; i <= NF; i++) {
      if ($i == "msg/s") rate = $(i - 1)
      if ($i == "p50") p50 = $(i + 1) "ms"
      if ($i == "p99") p99 = $(i + 1) "ms"
      if ($i == "max") max = $(i + 1) "ms"
      if ($i == "AA" && $(i - 1) == "not") nak = $(i + 1)
      if ($i == "errors") errors = $(i + 1)
    }
    printf "%-34s %4d conn %8s msg/s   p50 %8s   p99 %8s   max %8s   not AA %s   errors %s\n", name, c, rate, p50, p99, max, nak, errors }'
  cat "$work/mllp.err" >&2
}

pay() {  # name
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s bench/tcp/pay.lua "http://127.0.0.1:$http_port/api/pay" >"$work/pay.txt"
  local bank_connections
  bank_connections=$(ss -Htn state established "( dport = :$bank_port )" | wc -l)
  awk -v name="$1" -v c="$connections" -v bank="$bank_connections" '
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
    /Non-2xx/ { bad = $NF } /Socket errors/ { sock = $0 }
    END { printf "%-34s %4d conn %8s req/s   p50 %8s   p99 %8s   non-2xx %s   bank connections %s%s\n",
                 name, c, rps, p50, p99, (bad == "" ? 0 : bad), bank, (sock == "" ? "" : "   " sock) }' "$work/pay.txt"
  if grep -q -e Non-2xx -e "Socket errors" "$work/pay.txt"; then failures=$((failures + 1)); fi
}

rss() { ps -o rss= -p "$qiao_pid" | awk -v t="$1" '{ printf "qiao resident memory after the runs (threads %s): %.1f MiB\n", t, $1 / 1024 }'; }

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); ${seconds}s per run; mllp_load and wrk -t2 share the cores with qiao"
start_qiao auto
mllp "mllp ack only (decode, Lua, ACK)" "$ack_port" 1
mllp "mllp ack only (decode, Lua, ACK)" "$ack_port" "$connections"
mllp "hl7-adt: gateway -> LIS over MLLP" "$adt_port" "$connections"
pay "iso8583 /api/pay, threads auto"
rss auto
stop_qiao
start_qiao 1
pay "iso8583 /api/pay, threads 1"
rss 1
stop_qiao
if [ "$failures" -ne 0 ]; then
  echo "bench-tcp: *** $failures run(s) had errors or non-AA / non-2xx answers (see above); qiao's output: ***" >&2
  tail -n 20 "$work/qiao.out" >&2
  grep -h -i -e error -e warn "$work/qiao/var/log/system.log" 2>/dev/null | tail -n 20 >&2 || true
  exit 1
fi
