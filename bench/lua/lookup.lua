-- GET /v1/contacts?phoneNumber=... for random seeded numbers (+1415 FIRST .. FIRST+COUNT-1).
require "common"

local first = tonumber(os.getenv("BENCH_FIRST_NUMBER"))
local last = first + tonumber(os.getenv("BENCH_CONTACTS")) - 1

function request()
  return wrk.format("GET", "/v1/contacts?phoneNumber=%2B1415" .. math.random(first, last))
end
