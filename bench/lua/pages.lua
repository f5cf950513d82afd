-- GET PATH (a paginated endpoint); with CURSORS (a file, one cursor a line), from a random cursor.
require "common"

local path = os.getenv("BENCH_PATH")
local cursors = {}
if os.getenv("BENCH_CURSORS") then
  for line in io.lines(os.getenv("BENCH_CURSORS")) do
    cursors[#cursors + 1] = line
  end
end

function request()
  if #cursors == 0 then
    return wrk.format("GET", path)
  end
  return wrk.format("GET", path .. "&cursor=" .. cursors[math.random(#cursors)])
end
