-- wrk script for bench/web.sh.
--
--   wrk ... -s bench/web.lua URL                          fetch URL over and over
--   wrk ... -s bench/web.lua URL -- PREFIX QUERIES_FILE   cycle through the queries in
--       QUERIES_FILE (one a line; blank lines and lines starting with # skipped), asking
--       for PREFIX .. urlencode(query), e.g. PREFIX = /api/v1/search?q=
--   wrk ... -s bench/web.lua URL -- PATHS_FILE           cycle through the URL paths in
--       PATHS_FILE (one a line, query string included and already encoded, asked as they
--       are; written by bench/typesense.py paths)
--
-- Either way done() prints one line for bench/web.sh to pick up:
--   WEBBENCH requests=N duration_us=N rps=F p50_ms=F p90_ms=F p99_ms=F max_ms=F
--            non2xx=N connect=N read=N write=N timeout=N
-- (non2xx counts responses with a status outside 200-399, as wrk's own summary does).

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local counter = 0
local paths = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local prefix, file = args[1], args[2]
  if prefix == nil then
    return
  end
  if file == nil then
    -- One argument: a file of ready paths.
    file, prefix = prefix, nil
  end
  for line in io.lines(file) do
    line = line:gsub("^%s+", ""):gsub("%s+$", "")
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local path = prefix and (prefix .. urlencode(line)) or line
      paths[#paths + 1] = wrk.format("GET", path)
    end
  end
  if #paths == 0 then
    error("no queries in " .. file)
  end
  -- Each thread starts at a different place in the list.
  local i = ((id or 0) * 7) % #paths
  request = function()
    i = i % #paths + 1
    return paths[i]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WEBBENCH requests=%d duration_us=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      .. "max_ms=%.3f non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
