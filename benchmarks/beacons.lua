-- wrk script for benchmarks/ingest.py: POST /beacon, every request a different beacon with its own page
-- view id. wrk.lua_args: the file of beacon templates (one per line, with PVPVPVPVPVPVPVPV where the id
-- goes), and the first id to use. Run with one wrk thread (-t1), so ids never repeat.
local heads, tails = {}, {}
local count, next_id = 0, 0

function init(args)
  for line in io.lines(args[1]) do
    local at = line:find("PVPVPVPVPVPVPVPV", 1, true)
    count = count + 1
    heads[count], tails[count] = line:sub(1, at - 1), line:sub(at + 16)
  end
  next_id = tonumber(args[2] or "0")
end

function request()
  local i = next_id % count + 1
  local body = heads[i] .. string.format("%016x", next_id) .. tails[i]
  next_id = next_id + 1
  return wrk.format("POST", "/beacon", nil, body)
end

-- One JSON line for ingest.py: answers counted by wrk, and the latency percentiles in microseconds.
function done(summary, latency, requests)
  io.write(string.format(
    '{"answered": %d, "not_2xx": %d, "socket_errors": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(99)))
end
