-- wrk script for a GET (the path is wrk's URL) as the holder of a bearer token.
-- Environment: BENCH_TOKEN, the bearer token.
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"
