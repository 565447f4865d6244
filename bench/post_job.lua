-- wrk script for bench/first_figures.sh.
--
-- Default: POST /v1/jobs with keep-alive, body {"adapter":..,"params":{"text":"hello"}},
-- header X-Api-Key from the environment.
--
-- Environment:
--   NS_API_KEY       client key (required for POST mode)
--   NS_ADAPTER       adapter name (default "hook")
--   NS_BENCH_MODE    "post" (default) or "get": plain GET of the URL path, same
--                    status counting (used for the nginx reference ceiling)
--   NS_BENCH_LIMIT   if > 0: each thread stops after it has seen this many
--                    responses (2xx or not). Requests already in flight on other
--                    connections of that thread are abandoned; the server may
--                    still accept a few of them, so count what the server says.
--
-- Every thread counts its responses by class; done() prints one summary line
-- that the shell script parses:
--   ns_lua: responses=N status_2xx=N status_202=N non2xx=N codes=<code>:<n>,...
local mode = os.getenv("NS_BENCH_MODE") or "post"
local limit = tonumber(os.getenv("NS_BENCH_LIMIT") or "0") or 0

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  responses = 0
  ok2xx = 0
  ok202 = 0
  non2xx = 0
  codes = {}   -- non-2xx status -> count (kept per thread)
  if mode == "get" then
    wrk.method = "GET"
    wrk.body = nil
  else
    local key = os.getenv("NS_API_KEY")
    if key == nil or key == "" then
      error("NS_API_KEY is not set")
    end
    local adapter = os.getenv("NS_ADAPTER") or "hook"
    wrk.method = "POST"
    wrk.body = '{"adapter":"' .. adapter .. '","params":{"text":"hello"}}'
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["X-Api-Key"] = key
  end
  req = wrk.format()
end

function request()
  return req
end

function response(status, headers, body)
  responses = responses + 1
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
    if status == 202 then
      ok202 = ok202 + 1
    end
  else
    non2xx = non2xx + 1
    local k = tostring(status)
    codes[k] = (codes[k] or 0) + 1
  end
  if limit > 0 and responses >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local r, o, o202, n = 0, 0, 0, 0
  local all = {}
  for _, t in ipairs(threads) do
    r = r + (t:get("responses") or 0)
    o = o + (t:get("ok2xx") or 0)
    o202 = o202 + (t:get("ok202") or 0)
    n = n + (t:get("non2xx") or 0)
    local c = t:get("codes")
    if c then
      for k, v in pairs(c) do
        all[k] = (all[k] or 0) + v
      end
    end
  end
  local parts = {}
  for k, v in pairs(all) do
    table.insert(parts, k .. ":" .. v)
  end
  table.sort(parts)
  local codestr = #parts > 0 and table.concat(parts, ",") or "-"
  io.write(string.format(
    "ns_lua: responses=%d status_2xx=%d status_202=%d non2xx=%d codes=%s\n",
    r, o, o202, n, codestr))
end
