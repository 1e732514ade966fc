-- wrk script for bench/soak.sh: cycles through a list of paths and counts the answers by
-- status.
--
--   wrk ... -s bench/soak.lua URL -- PATHS_FILE
--       PATHS_FILE holds one path a line (already URL-encoded); blank lines and lines
--       starting with # are skipped. Each wrk thread (all its connections) goes through
--       the whole list in turn, each thread starting at a different place in it.
--
-- Every answer is counted in response() by its status (per thread, gathered in done()),
-- so 5xx answers are told apart from 4xx ones, which wrk's own summary lumps together.
-- done() prints one line for bench/soak.sh to pick up:
--   SOAKBENCH requests=N duration_us=N rps=F p50_ms=F p90_ms=F p99_ms=F max_ms=F
--             s2xx=N s3xx=N s4xx=N s5xx=N s500=N s503=N connect=N read=N write=N
--             timeout=N paths=N
-- (s503 is the server's answer to a request that ran past server.request_timeout_secs).

local counter = 0
local threads = {}
local paths = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

function init(args)
  local file = args[1]
  if file == nil then
    error("usage: wrk ... -s bench/soak.lua URL -- PATHS_FILE")
  end
  for line in io.lines(file) do
    line = line:gsub("^%s+", ""):gsub("%s+$", "")
    if line ~= "" and line:sub(1, 1) ~= "#" then
      paths[#paths + 1] = wrk.format("GET", line)
    end
  end
  if #paths == 0 then
    error("no paths in " .. file)
  end
  npaths = #paths
  s2xx, s3xx, s4xx, s5xx, s500, s503 = 0, 0, 0, 0, 0, 0
  -- Threads start far apart in the list (at golden-ratio steps).
  local step = ((id or 0) * 0.6180339887) % 1
  local i = math.floor(step * #paths) % #paths
  request = function()
    i = i % #paths + 1
    return paths[i]
  end
end

function response(status, headers, body)
  if status >= 500 then
    s5xx = s5xx + 1
    if status == 500 then
      s500 = s500 + 1
    elseif status == 503 then
      s503 = s503 + 1
    end
  elseif status >= 400 then
    s4xx = s4xx + 1
  elseif status >= 300 then
    s3xx = s3xx + 1
  else
    s2xx = s2xx + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local c = { s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, s500 = 0, s503 = 0, npaths = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(c) do
      local v = tonumber(t:get(k)) or 0
      if k == "npaths" then
        c[k] = math.max(c[k], v)
      else
        c[k] = c[k] + v
      end
    end
  end
  io.write(string.format(
    "SOAKBENCH requests=%d duration_us=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      .. "max_ms=%.3f s2xx=%d s3xx=%d s4xx=%d s5xx=%d s500=%d s503=%d connect=%d read=%d "
      .. "write=%d timeout=%d paths=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    c.s2xx, c.s3xx, c.s4xx, c.s5xx, c.s500, c.s503,
    e.connect, e.read, e.write, e.timeout, c.npaths))
end
