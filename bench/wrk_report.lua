-- wrk's summary as one JSON line: requests per second, latency percentiles in ms, and
-- errors (connection errors, timeouts, and any answer but 200: a redirect to the login
-- page would otherwise pass for a fast page).
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  not_ok = 0 -- global in each thread's state, read back in done()
end

response = function(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  for _, thread in ipairs(threads) do
    errors = errors + (thread:get("not_ok") or 0)
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'JSON {"requests": %d, "rps": %.1f, "p50_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, "errors": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
