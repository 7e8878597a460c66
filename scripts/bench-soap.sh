#!/usr/bin/env bash
# Loopback SOAP benchmark of the soap adapter with the soap-registration example
# (bench/soap/qiao.yaml), wrk against:
#   (a) the HIS simulator, a soap source: envelope read, inXml decoded, Lua, answer written with
#       RegisterResult escaped as a string — SOAP request-replies/s served;
#   (b) the kiosk's POST /api/soap/registration: JSON in, one SOAP call to the HIS simulator over the
#       pooled keep-alive client, JSON out;
#   (c) the gateway's SOAP service: SOAP in, one SOAP call to the HIS simulator, SOAP out.
# Each run checks that every answer was a 2xx. Prints one line per run and qiao's resident memory.
#   scripts/bench-soap.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"

[ -x "$build/qiao" ] || { echo "bench-soap: $build/qiao is missing (build it first)" >&2; exit 2; }
http_port=$(free_port) soap_port=$(free_port) his_port=$(free_port)

mkdir -p "$work/qiao"
cp bench/soap/qiao.yaml "$work/qiao/"
sed -i "s#\.\./\.\./examples#$root/examples#g" "$work/qiao/qiao.yaml"
# The HIS simulator's WSDL path is relative to the directory qiao runs in.
mkdir -p "$work/qiao/examples" && ln -s "$root/examples/soap-registration" "$work/qiao/examples/soap-registration"
(cd "$work/qiao" && QIAO_HTTP_PORT=$http_port QIAO_SOAP_PORT=$soap_port QIAO_HIS_SOAP_PORT=$his_port \
   exec "$root/$build/qiao" run -c qiao.yaml >"$work/qiao.out" 2>&1) &
qiao_pid=$!
for _ in $(seq 1 100); do
  curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"patientId":"P001","deptCode":"0101"}' \
    "http://127.0.0.1:$http_port/api/soap/registration" 2>/dev/null && break
  sleep 0.1
done

run() {  # name url wrk-script
  wrk_line "$1" "$2" "$3" "$work/run.txt"
}

echo "wrk -t2 -c$connections -d${seconds}s on $(nproc) cores; qiao threads: ${QIAO_THREADS:-auto}"
run "(a) HIS simulator, SOAP 1.1" "http://127.0.0.1:$his_port/HisService.asmx" bench/soap/his_register.lua
run "(b) kiosk JSON -> SOAP HIS" "http://127.0.0.1:$http_port/api/soap/registration" bench/http/post.lua
run "(c) gateway SOAP -> SOAP HIS" "http://127.0.0.1:$soap_port/RegistrationService" bench/soap/gateway_register.lua
ps -o rss=,comm= -C qiao | awk '{ printf "qiao resident memory after the runs: %.1f MiB\n", $1 / 1024 }'
