#!/usr/bin/env bash
# Loopback HTTP benchmark: wrk against (a) nginx proxying a backend (the yardstick), (b) a qiao
# pass-through flow to the same backend, (c) the quickstart registration flow. The backend is an
# nginx answering a fixed JSON body. Prints one line per target: requests/s, p50, p99.
#   scripts/bench-http.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
backend_port=18081 proxy_port=18082 qiao_port=18080

mkdir -p "$work/backend/logs" "$work/proxy/logs"
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
nginx -p "$work/backend" -c "$work/backend/nginx.conf" & pids+=($!)
nginx -p "$work/proxy" -c "$work/proxy/nginx.conf" & pids+=($!)

mkdir -p "$work/qiao/flows"
cp bench/http/qiao.yaml bench/http/endpoints.yaml "$work/qiao/"
cp bench/http/flows/*.yaml "$work/qiao/flows/"
sed -i "s#../../examples#$root/examples#g" "$work/qiao/qiao.yaml"
(cd "$work/qiao" && QIAO_HTTP_PORT=$qiao_port BENCH_BACKEND_PORT=$backend_port exec "$root/$build/qiao" run -c qiao.yaml >"$work/qiao.out" 2>&1) &
pids+=($!)

for _ in $(seq 1 100); do
  curl -fs -o /dev/null -X POST -d '{}' "http://127.0.0.1:$qiao_port/bench/pass" 2>/dev/null &&
    curl -fs -o /dev/null "http://127.0.0.1:$proxy_port/" 2>/dev/null && break
  sleep 0.1
done

run() {  # name url
  wrk_line "$1" "$2" bench/http/post.lua "$work/$1.txt"
}

echo "wrk -t2 -c$connections -d${seconds}s on $(nproc) cores; qiao threads: ${QIAO_THREADS:-auto}"
run "backend direct (nginx)" "http://127.0.0.1:$backend_port/his/register"
run "nginx proxy -> backend" "http://127.0.0.1:$proxy_port/"
run "qiao passthrough -> backend" "http://127.0.0.1:$qiao_port/bench/pass"
run "qiao quickstart flow" "http://127.0.0.1:$qiao_port/api/registration"
ps -o rss=,comm= -C qiao | awk '{ printf "qiao resident memory after the runs: %.1f MiB\n", $1 / 1024 }'
