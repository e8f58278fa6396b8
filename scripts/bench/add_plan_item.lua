-- wrk script for POST /v1/cases/{id}/plan/items (the path is wrk's URL) as the case's worker,
-- with a fresh Idempotency-Key on every request: the run, the wrk thread and a counter, so no
-- request is ever a replay (a replay would skip the work being measured).
-- Environment: BENCH_TOKEN (the worker's bearer token), BENCH_BODY (the JSON plan item),
-- BENCH_RUN (a text unique to this run, so a warm-up and a measurement never share a key).
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
local body = os.getenv("BENCH_BODY") or error("BENCH_BODY is not set")
local run = os.getenv("BENCH_RUN") or error("BENCH_RUN is not set")

-- setup() runs in the main Lua state once per thread: give each thread its number.
local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("thread_id", threads)
end

local counter = 0
local headers = {
   ["Authorization"] = "Bearer " .. token,
   ["Content-Type"] = "application/json",
   ["Accept"] = "application/json",
}

function request()
   counter = counter + 1
   headers["Idempotency-Key"] = string.format("%s-%d-%d", run, thread_id, counter)
   return wrk.format("POST", nil, headers, body)
end
