-- wrk script: POST the kiosk payment every request sends; 12.50 yuan is approved by the bank
-- simulator, so each request is one 0200/0210 exchange and a 200.
wrk.method = "POST"
wrk.body = '{"orderNo":"K20261122000001","cardNo":"6222020200112233445","amount":"12.50"}'
wrk.headers["Content-Type"] = "application/json"
