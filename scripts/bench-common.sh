# Sourced by the loopback benchmarks (bench-http.sh, bench-tcp.sh, bench-soap.sh), with their
# arguments [BUILD_DIR] [SECONDS] [CONNECTIONS]: moves to the repository, makes $work, and on exit
# stops what the script started ($pids, and the gateway in $qiao_pid) and removes $work.
build=${1:-build}
seconds=${2:-10}
connections=${3:-64}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
work=$(mktemp -d)
pids=()
qiao_pid=
cleanup() {
  for p in "${pids[@]}" $qiao_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A TCP port that was free a moment ago.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wrk_line NAME URL WRK_SCRIPT OUTPUT_FILE: wrk with $wrk_threads threads (default 2) and
# $connections for $seconds against URL, then one line: requests/s, p50, p99 and how many answers
# were not 2xx.
wrk_line() {
  wrk -t"${wrk_threads:-2}" -c"$connections" -d"${seconds}s" --latency -s "$3" "$2" >"$4"
  awk -v name="$1" '
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
    /Non-2xx/ { bad = $NF }
    END { printf "%-36s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n", name, rps, p50, p99, (bad == "" ? 0 : bad) }' "$4"
}

# median NUMBER...: the middle one (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
