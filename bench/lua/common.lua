-- Shared by every scenario: the API key, a number per thread, and done() reporting one JSON line.
wrk.headers["X-API-Key"] = os.getenv("BENCH_API_KEY")

local threads = 0

-- Runs once per thread before it starts: the thread's global `id` is 0, 1, ...
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  math.randomseed(id + 1)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
