-- wrk script: POST the registration request every quickstart benchmark sends.
wrk.method = "POST"
wrk.body = '{"patientId":"P001","deptCode":"0101"}'
wrk.headers["Content-Type"] = "application/json"
