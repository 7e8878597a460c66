-- The quickstart registration flow (examples/quickstart/flows/registration.yaml) written for nginx
-- with Debian's Lua module, the yardstick of scripts/bench-http.sh: the same work per request —
-- decode the JSON, check the two fields, build the HIS request, call the HIS through a keep-alive
-- upstream, decode its answer, route on ResultCode, encode the reply.
local cjson = require "cjson.safe"

local function answer(status, value)
  ngx.status = status
  ngx.header.content_type = "application/json"
  ngx.print(cjson.encode(value))
end

ngx.req.read_body()
local body = cjson.decode(ngx.req.get_body_data() or "")
if type(body) ~= "table" or type(body.patientId) ~= "string" or type(body.deptCode) ~= "string" then
  return answer(400, { error = { code = "invalid", message = "patientId and deptCode are required strings" } })
end

local his_request = cjson.encode({
  PatientID = body.patientId,
  DeptCode = body.deptCode,
  Channel = ngx.var.http_x_channel or "kiosk",
})
local res = ngx.location.capture("/his", { method = ngx.HTTP_POST, body = his_request })
local his = res.status == 200 and cjson.decode(res.body) or nil
if type(his) ~= "table" then
  return answer(502, { error = { code = "upstream", message = "the HIS answered " .. res.status } })
end

local id = ngx.var.request_id
if his.ResultCode ~= "0" then
  return answer(409, { error = { code = "his_rejected", message = his.ResultMsg }, messageId = id })
end
answer(200, { regNo = his.RegNo, queueNo = his.QueueNo, dept = his.DeptName, messageId = id })
