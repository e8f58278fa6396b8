-- wrk script for GET /v1/cases/{id} (the path is wrk's URL) as the case's worker.
-- Environment: BENCH_TOKEN, the worker's bearer token.
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"
