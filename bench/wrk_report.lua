-- wrk script of the Switchyard benchmark (bench/wrk.ts passes it with -s).
--
-- done(): one machine-readable line, latencies in microseconds (exact, from wrk's histogram).
-- BENCH_HOSTS=N (env): rotate the Host header over svc-0 … svc-(N-1), requests pre-formatted
-- in init() so the per-request cost on wrk's side is one table lookup.

local n = tonumber(os.getenv("BENCH_HOSTS") or "0") or 0

if n > 0 then
  local reqs = {}
  local i = 0
  init = function(args)
    for k = 0, n - 1 do
      reqs[k] = wrk.format(nil, nil, { Host = "svc-" .. k })
    end
    i = math.random(0, n - 1)
  end
  request = function()
    i = i + 1
    if i >= n then i = 0 end
    return reqs[i]
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d,"lat_mean_us":%.1f,"lat_max_us":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
