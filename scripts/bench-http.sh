#!/usr/bin/env bash
# Loopback HTTP benchmark, each qiao flow beside its yardstick in the same run: the backend is an
# nginx answering a fixed JSON body;
#   a qiao pass-through flow (bench/http/flows/passthrough.yaml) beside nginx proxying the backend;
#   the quickstart registration flow beside nginx with Debian's Lua module doing the same work
#   (bench/nginx-lua/registration.lua), both calling the backend as their HIS.
# The targets take turns for BENCH_ROUNDS rounds (default 3), wrk -t1; the summary gives each
# target's median requests/s and qiao's ratio to its yardstick.
#   scripts/bench-http.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
backend_port=18081 proxy_port=18082 qiao_port=18080 lua_port=18083
rounds=${BENCH_ROUNDS:-3}
wrk_threads=1

mkdir -p "$work/backend/logs" "$work/proxy/logs" "$work/lua/logs"
cat >"$work/backend/nginx.conf" <<NGINX
daemon off; worker_processes 1; error_log $work/backend/logs/error.log warn; pid $work/backend/nginx.pid;
events { worker_connections 4096; }
http { access_log off;
  server { listen 127.0.0.1:$backend_port reuseport backlog=4096; keepalive_requests 1000000;
    location / { default_type application/json;
      return 200 '{"ResultCode":"0","RegNo":"R20261122000001","QueueNo":7,"DeptName":"Internal Medicine"}'; } } }
NGINX
cat >"$work/proxy/nginx.conf" <<NGINX
daemon off; worker_processes ${BENCH_PROXY_WORKERS:-2}; error_log $work/proxy/logs/error.log warn; pid $work/proxy/nginx.pid;
events { worker_connections 4096; }
http { access_log off;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 64; }
  server { listen 127.0.0.1:$proxy_port backlog=4096; keepalive_requests 1000000;
    location / { proxy_pass http://backend/his/register; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
NGINX
sed -e "s#@WORK@#$work/lua#g" -e "s#@PORT@#$lua_port#g" -e "s#@BACKEND_PORT@#$backend_port#g" \
    -e "s#@WORKERS@#${BENCH_PROXY_WORKERS:-2}#g" -e "s#@LUA_DIR@#$root/bench/nginx-lua#g" \
    bench/nginx-lua/nginx.conf.in >"$work/lua/nginx.conf"
nginx -p "$work/backend" -c "$work/backend/nginx.conf" & pids+=($!)
nginx -p "$work/proxy" -c "$work/proxy/nginx.conf" & pids+=($!)
nginx -p "$work/lua" -c "$work/lua/nginx.conf" & pids+=($!)

mkdir -p "$work/qiao/flows"
cp bench/http/qiao.yaml bench/http/endpoints.yaml "$work/qiao/"
cp bench/http/flows/*.yaml "$work/qiao/flows/"
sed -i "s#../../examples#$root/examples#g" "$work/qiao/qiao.yaml"
(cd "$work/qiao" && QIAO_HTTP_PORT=$qiao_port BENCH_BACKEND_PORT=$backend_port exec "$root/$build/qiao" run -c qiao.yaml >"$work/qiao.out" 2>&1) &
pids+=($!)

ready=
for _ in $(seq 1 100); do
  curl -fs -o /dev/null -X POST -d '{}' "http://127.0.0.1:$qiao_port/bench/pass" 2>/dev/null &&
    curl -fs -o /dev/null "http://127.0.0.1:$proxy_port/" 2>/dev/null &&
    curl -fs -o /dev/null -X POST -d '{"patientId":"P001","deptCode":"0101"}' \
      "http://127.0.0.1:$lua_port/api/registration" 2>/dev/null && { ready=1; break; }
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "bench-http: a target did not answer; qiao's output and nginx's errors:" >&2
  cat "$work/qiao.out" "$work"/*/logs/error.log >&2
  exit 1
fi

names=("backend direct (nginx)" "nginx proxy -> backend" "qiao passthrough -> backend"
       "nginx + Lua registration" "qiao registration flow")
urls=("http://127.0.0.1:$backend_port/his/register" "http://127.0.0.1:$proxy_port/"
      "http://127.0.0.1:$qiao_port/bench/pass" "http://127.0.0.1:$lua_port/api/registration"
      "http://127.0.0.1:$qiao_port/api/registration")
declare -A rates

echo "wrk -t$wrk_threads -c$connections -d${seconds}s on $(nproc) cores, $rounds rounds; qiao threads: ${QIAO_THREADS:-auto};" \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  echo "round $round"
  for i in "${!names[@]}"; do
    out="$work/target$i.txt"
    wrk_line "${names[$i]}" "${urls[$i]}" bench/http/post.lua "$out"
    rates[$i]+=" $(awk '/Requests\/sec/ { print $2 }' "$out")"
  done
done
ps -o rss=,comm= -C qiao | awk '{ printf "qiao resident memory after the runs: %.1f MiB\n", $1 / 1024 }'

echo "medians of $rounds rounds (requests/s):"
declare -a med
for i in "${!names[@]}"; do
  # shellcheck disable=SC2086
  med[$i]=$(median ${rates[$i]})
  printf '  %-34s %10s\n' "${names[$i]}" "${med[$i]}"
done
awk -v q="${med[2]}" -v y="${med[1]}" 'BEGIN { printf "  qiao passthrough / nginx proxy        %.2fx\n", q / y }'
awk -v q="${med[4]}" -v y="${med[3]}" 'BEGIN { printf "  qiao registration / nginx + Lua       %.2fx\n", q / y }'
