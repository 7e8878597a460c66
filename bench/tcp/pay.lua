-- wrk script: POST kiosk payments, 12.50 yuan each, which the bank simulator approves, so each
-- request is one 0200/0210 exchange and a 200. The kiosk flow is idempotent by order number, so
-- every request has an order number of its own (thread, run, count): a repeated one would be
-- answered from the store without asking the bank.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local run
local count = 0

function init(args)
  math.randomseed(os.time() + tid)
  run = string.format("%x%06x", os.time(), math.random(0, 0xffffff))
end

function request()
  count = count + 1
  local body = string.format('{"orderNo":"K%s-%d-%d","cardNo":"6222020200112233445","amount":"12.50"}', run, tid, count)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
