-- POST /v1/contacts with new numbers: thread i counts up from FIRST_FREE + i * PER_THREAD.
require "common"

local first = tonumber(os.getenv("BENCH_FIRST_FREE"))
local per_thread = tonumber(os.getenv("BENCH_NUMBERS_PER_THREAD"))
local created = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  created = created + 1
  local body = string.format(
    '{"phoneNumber": "+1415%d", "firstName": "Bench", "lastName": "Created"}',
    first + id * per_thread + created)
  return wrk.format(nil, "/v1/contacts", nil, body)
end
