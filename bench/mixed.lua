-- wrk script for bench/mixed.sh: cycles through a list of paths.
--
--   wrk ... -s bench/mixed.lua URL -- PATHS_FILE
--       PATHS_FILE holds one path a line (already URL-encoded, e.g.
--       /manuals/bench/chapters/some-id); blank lines and lines starting with # are
--       skipped. The requests of each wrk thread (all its connections) go through the
--       whole list in turn, each thread starting at a different place in it.
--
-- done() prints one line for bench/mixed.sh to pick up:
--   MIXEDBENCH requests=N duration_us=N rps=F p50_ms=F p90_ms=F p99_ms=F max_ms=F
--              non2xx=N connect=N read=N write=N timeout=N paths=N
-- (non2xx counts responses with a status outside 200-399, as wrk's own summary does).

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
    error("usage: wrk ... -s bench/mixed.lua URL -- PATHS_FILE")
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
  -- Threads start far apart in the list (at golden-ratio steps), so they do not ask for
  -- the same pages together.
  local step = ((id or 0) * 0.6180339887) % 1
  local i = math.floor(step * #paths) % #paths
  request = function()
    i = i % #paths + 1
    return paths[i]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local n = 0
  for _, t in ipairs(threads) do
    n = math.max(n, tonumber(t:get("npaths")) or 0)
  end
  io.write(string.format(
    "MIXEDBENCH requests=%d duration_us=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      .. "max_ms=%.3f non2xx=%d connect=%d read=%d write=%d timeout=%d paths=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, n))
end
