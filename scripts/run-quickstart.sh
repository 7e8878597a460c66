#!/usr/bin/env bash
# Starts the gateway with the shipped config, waits until it answers, prints curl lines to try
# (the admin API's with the token the gateway generated into var/admin.token), then stays in the
# foreground until Ctrl-C (which stops the gateway gracefully).
set -euo pipefail
qiao=${1:-build/qiao}
cd "$(dirname "$0")/.."
port=${QIAO_HTTP_PORT:-8080}
admin=${QIAO_ADMIN:-127.0.0.1:9900}

"$qiao" run -c config/qiao.yaml &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 1 100); do
  curl -fs "http://$admin/healthz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { wait $pid; exit $?; }
  sleep 0.1
done

cat <<TXT

Qiao is running (admin API on http://$admin). Try the examples:

  curl -s -X POST http://127.0.0.1:$port/api/registration -H 'Content-Type: application/json' -d '{"patientId":"P001","deptCode":"0101"}'
  $qiao send mllp 127.0.0.1:${QIAO_MLLP_PORT:-2575} examples/hl7-adt/adt.hl7
  curl -s -X POST http://127.0.0.1:$port/api/pay -H 'Content-Type: application/json' -d '{"orderNo":"K0001","cardNo":"6222021234567890123","amount":"12.50"}'
  curl -s -X POST http://127.0.0.1:$port/api/soap/registration -H 'Content-Type: application/json' -d '{"patientId":"P001","deptCode":"0203"}'
  curl -s http://127.0.0.1:${QIAO_SOAP_PORT:-8090}/RegistrationService?wsdl     (the gateway's own SOAP service)

The admin API needs the token in $PWD/var/admin.token (made on the first start, kept after):
  curl -s -H "Authorization: Bearer \$(cat var/admin.token)" http://$admin/api/flows      (flows and their counts)
  curl -s -H "Authorization: Bearer \$(cat var/admin.token)" http://$admin/metrics
  curl -s -H "Authorization: Bearer \$(cat var/admin.token)" 'http://$admin/api/messages?limit=5'   (the journal)
Edit examples/*/flows/*.yaml and the gateway reloads them. Ctrl-C stops it.

TXT
wait $pid
