#!/usr/bin/env bash
# Measures the server against PostgreSQL itself: for each endpoint, wrk drives the HTTP API and
# pgbench runs the least SQL that gives the same answer and the same audit (scripts/bench/*.sql),
# one after the other, on the same database, at the same concurrency. The ratio (server req/s
# over pgbench TPS) is what the request path costs beyond the database work it cannot avoid.
#
#   GET  /v1/cases/{id}             read by the case's worker: audited read, one transaction
#   POST /v1/cases/{id}/plan/items  a fresh Idempotency-Key per request: one durable write
#
# Then, at scale, the median latency (one request at a time, warm) of the lists, the agenda,
# the statistics and the person search, with an organisation of 10,000 cases and again once
# `relais bench seed` has brought it to 1,000,000 (200 workers): each figure beside its goal,
# within 2x of its time at 10K and under 50 ms (statistics: 100 ms).
#
# And one import (POST /v1/imports/cases, a supervisor) of a generated 10,000-row CSV file, half
# of its persons with a NIR, into the demo organisation: its time, absolute (goal: seconds).
#
#   scripts/bench.sh            all of it
#   scripts/bench.sh ratios     only the ratios and the import (a minute)
#   scripts/bench.sh scale      only the latencies at scale (seeding 1M cases takes ~10 minutes)
#   scripts/bench.sh import     only the import
#
# Everything is private to the run: a PostgreSQL cluster in a temporary directory on a free
# port, the release server on another, the demo organisation, one person and one case seeded
# through the API. All of it is stopped and deleted on exit, whatever happens. Nothing is
# installed: a missing tool is reported with how to install it.
#
# Tunables (environment):
#   BENCH_DURATION     seconds measured per side and endpoint (default 10)
#   BENCH_WARMUP       seconds of warm-up before each measurement (default 3)
#   BENCH_CONNECTIONS  wrk connections = pgbench clients (default 4)
#   BENCH_THREADS      wrk threads = pgbench threads (default 2)
#   BENCH_ROUNDS       rounds of both measurements (default 1); the table shows the medians of
#                      the rates and the median of the rounds' ratios (each round compares the
#                      two sides back to back, so a machine that slows down between rounds
#                      moves both): 3 or more keep one noisy round from deciding
#   BENCH_ENDPOINTS    which to measure: "get post" (default), "get" or "post"
#   BENCH_SCALES       organisation sizes of the latencies, ascending (default "10000 1000000";
#                      the first is the reference of the 2x goal)
#   BENCH_SCALE_WORKERS  workers sharing the cases (default 200)
#   BENCH_SCALE_DURATION seconds measured per endpoint and size (default 5, after 1 of warm-up)
#   BENCH_IMPORT_ROWS  rows of the imported file (default 10000)
#   CARGO_TARGET_DIR   where cargo builds (default target)
#   BENCH_SERVER_BIN   a relais binary to measure instead of building this tree's (to compare
#                      two builds under the same conditions, one run after the other)
#   RELAIS_PG_BIN_DIR  the directory of initdb, pg_ctl, psql and pgbench
#   RELAIS_*           other server settings pass through (e.g. RELAIS_DB_MAX_CONNECTIONS)
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-3}
connections=${BENCH_CONNECTIONS:-4}
threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-1}
endpoints=${BENCH_ENDPOINTS:-get post}
scales=${BENCH_SCALES:-10000 1000000}
scale_workers=${BENCH_SCALE_WORKERS:-200}
scale_duration=${BENCH_SCALE_DURATION:-5}
import_rows=${BENCH_IMPORT_ROWS:-10000}
mode=${1:-all}
target_dir=${CARGO_TARGET_DIR:-target}
bench_dir=$PWD/scripts/bench

# Ratios the request path is expected to reach (README, Performance).
# shellcheck disable=SC2034 # read through a nameref in report
goal_get=0.70
# shellcheck disable=SC2034
goal_post=0.60

rates_get=() tps_get=() rates_post=() tps_post=()
round_label=
work=
built_from=
server_pid=
pg_ctl=
pg_user=

die() {
    echo "bench: $*" >&2
    exit 1
}

log() {
    echo "==> $*"
}

# --- Tools -------------------------------------------------------------------------------------

# The PostgreSQL binaries: RELAIS_PG_BIN_DIR (as for the server), else the newest
# /usr/lib/postgresql/*/bin (Debian keeps them off PATH), else PATH.
find_pg_bin() {
    if [ -n "${RELAIS_PG_BIN_DIR:-}" ]; then
        echo "$RELAIS_PG_BIN_DIR"
        return
    fi
    local dir newest=
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pgbench" ] || continue
        newest=$(printf '%s\n' "$newest" "$dir" | sort -V | tail -n 1)
    done
    if [ -n "$newest" ]; then
        echo "$newest"
        return
    fi
    if command -v pgbench >/dev/null 2>&1; then
        dirname "$(command -v pgbench)"
    fi
}

# Installs nothing: says what is missing and how to get it, and stops.
check_tools() {
    local missing=0
    if ! command -v wrk >/dev/null 2>&1; then
        echo "bench: wrk is not installed: apt-get install wrk (Debian/Ubuntu), dnf install wrk (Fedora)" >&2
        missing=1
    fi
    pg_bin=$(find_pg_bin)
    local tool
    for tool in pgbench initdb pg_ctl psql; do
        if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/$tool" ]; then
            echo "bench: $tool not found (searched ${pg_bin:-/usr/lib/postgresql/*/bin and PATH}): apt-get install postgresql postgresql-contrib, or set RELAIS_PG_BIN_DIR" >&2
            missing=1
        fi
    done
    for tool in curl cargo; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "bench: $tool is not installed" >&2
            missing=1
        fi
    done
    [ "$missing" -eq 0 ] || exit 1
}

# --- Helpers -----------------------------------------------------------------------------------

# A TCP port nobody listens on (bash's /dev/tcp: a refused connection means free).
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

random_hex() {
    head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# PostgreSQL refuses to run as root: as root, run its programs as an unprivileged account, as
# the embedded cluster does (crates/store/src/embedded/privileges.rs): postgres, else nobody.
pick_pg_user() {
    if [ "$(id -u)" -ne 0 ]; then
        pg_user=
    elif id postgres >/dev/null 2>&1; then
        pg_user=postgres
    elif id nobody >/dev/null 2>&1; then
        pg_user=nobody
    else
        die "running as root, and neither a postgres nor a nobody user exists to run PostgreSQL"
    fi
}

# From the work directory: the account may not be allowed into the current one.
as_pg() {
    if [ -n "$pg_user" ]; then
        (cd "$work" && runuser -u "$pg_user" -- "$@")
    else
        "$@"
    fi
}

# psql as the cluster's superuser over its private socket (trust: only the owner, and root,
# can reach that 0700 directory).
sql() {
    "$pg_bin/psql" -h "$work/run" -p "$pg_port" -U relais -d relais -X -q -A -t \
        -v ON_ERROR_STOP=1 "$@"
}

# json_string FIELD: the first string value of FIELD in the JSON on stdin (serde writes no
# spaces; enough for ids and statuses, and no jq needed).
json_string() {
    grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d '"' -f 4
}

# api METHOD PATH [BODY]: calls the API as the worker; prints the body, fails on a non-2xx.
api() {
    local method=$1 path=$2 body=${3:-} out status
    out=$work/api-response
    status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$base$path" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        ${body:+--data-binary "$body"})
    if [ "${status:0:1}" != 2 ]; then
        echo "bench: $method $path answered $status:" >&2
        cat "$out" >&2
        echo >&2
        return 1
    fi
    cat "$out"
}

# --- Setup and cleanup -------------------------------------------------------------------------

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        # actix drains its connections (up to 10 s) before it exits.
        for _ in $(seq 1 150); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    # The logs explain a failure; an interruption (Ctrl-C, SIGTERM) needs no explaining.
    local failed=0
    case $status in 0 | 130 | 143) ;; *) failed=1 ;; esac
    if [ "$failed" -eq 1 ] && [ -n "$work" ] && [ -f "$work/server.log" ]; then
        echo "---- last lines of the server log ----" >&2
        tail -n 30 "$work/server.log" >&2 || true
    fi
    if [ -n "$work" ] && [ -f "$work/pgdata/postmaster.pid" ]; then
        as_pg "$pg_ctl" stop -D "$work/pgdata" -m fast -w >/dev/null 2>&1 || true
    fi
    if [ "$failed" -eq 1 ] && [ -n "$work" ] && [ -f "$work/postgres.log" ]; then
        echo "---- last lines of the PostgreSQL log ----" >&2
        tail -n 20 "$work/postgres.log" >&2 || true
    fi
    [ -z "$work" ] || rm -rf -- "$work"
    exit "$status"
}

build_server() {
    # What is measured is what is built now: the tree may change during a long run.
    built_from=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        built_from="$built_from (modified)"
    fi
    if [ -n "${BENCH_SERVER_BIN:-}" ]; then
        relais=$BENCH_SERVER_BIN
        log "Using the server binary $relais"
    else
        log "Building the server (release)"
        cargo build --release --quiet --bin relais
        relais=$target_dir/release/relais
    fi
    [ -x "$relais" ] || die "no binary at $relais"
}

# A throw-away cluster on a free TCP port of the loopback. The server and pgbench both reach it
# over TCP with a password; psql administers it over the private socket.
start_cluster() {
    pg_port=$(free_port)
    pg_password=$(random_hex 16)
    mkdir -p "$work/pgdata" "$work/run"
    chmod 0700 "$work/pgdata" "$work/run"
    printf '%s\n' "$pg_password" >"$work/pgpass"
    touch "$work/postgres.log"
    if [ -n "$pg_user" ]; then
        # The unprivileged account owns what it writes; $work (0711) only lets it through.
        chown "$pg_user" "$work/pgdata" "$work/run" "$work/pgpass" "$work/postgres.log"
    fi
    log "Starting PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port${pg_user:+ as $pg_user}"
    # C.UTF-8 as the embedded cluster uses; minimal systems lack it: no locale then.
    local locale
    for locale in --locale=C.UTF-8 --no-locale; do
        if as_pg "$pg_bin/initdb" -D "$work/pgdata" -U relais --pwfile="$work/pgpass" \
            --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 "$locale" \
            >"$work/initdb.log" 2>&1; then
            break
        fi
        if [ "$locale" = --no-locale ] || ! grep -q locale "$work/initdb.log"; then
            cat "$work/initdb.log" >&2
            die "initdb failed"
        fi
    done
    rm -f "$work/pgpass"
    # The defaults otherwise: durable commits (fsync on) are part of what a write costs.
    as_pg "$pg_ctl" start -D "$work/pgdata" -l "$work/postgres.log" -w -t 60 -o "\
        -c listen_addresses=127.0.0.1 -c port=$pg_port \
        -c unix_socket_directories='$work/run' -c unix_socket_permissions=0700 \
        -c max_connections=100 -c shared_buffers=128MB" >/dev/null
    "$pg_bin/createdb" -h "$work/run" -p "$pg_port" -U relais relais
}

# The release server on the cluster, with the demo organisation and a development signing key.
start_server() {
    http_port=$(free_port)
    base=http://127.0.0.1:$http_port
    export DATABASE_URL=postgres://relais:$pg_password@127.0.0.1:$pg_port/relais
    export RELAIS_LISTEN=127.0.0.1:$http_port
    export RELAIS_DATA_DIR=$work/relais
    export RELAIS_DEMO=true
    export RELAIS_AUTH_DEV_SECRET=${RELAIS_AUTH_DEV_SECRET:-$(random_hex 32)}
    export RELAIS_NIR_KEY=${RELAIS_NIR_KEY:-$(head -c 32 /dev/urandom | base64)}
    # The budgets are checked on every request (their cost is measured) but never run out.
    export RELAIS_RATE_LIMIT_PER_MINUTE=${RELAIS_RATE_LIMIT_PER_MINUTE:-1000000000}
    export RELAIS_RATE_LIMIT_BURST=${RELAIS_RATE_LIMIT_BURST:-100000000}
    # A slow endpoint at scale outlives wrk's run (a warm-up's last request still holds its
    # connection when the measurement starts): its next request waits rather than answers 503.
    export RELAIS_DB_ACQUIRE_TIMEOUT_MS=${RELAIS_DB_ACQUIRE_TIMEOUT_MS:-60000}
    log "Starting the server on $base (migrations, demo organisation)"
    "$relais" serve </dev/null >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 600); do
        kill -0 "$server_pid" 2>/dev/null || die "the server exited before it was ready"
        if curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; then
            token=$("$relais" token --org demo --role worker --sub alice | tail -n 1)
            return
        fi
        sleep 0.1
    done
    die "the server was not ready within 60 s"
}

# Through the API, as the demo worker alice: a person, a case she is the referent of (so on its
# team), and one plan item. A new case is in intake, which is open: its plan may change.
seed() {
    log "Seeding a person, a case and a plan item through the API"
    local me person_id
    me=$(api GET /v1/me)
    agent_id=$(json_string agent_id <<<"$me")
    person_id=$(api POST /v1/persons \
        '{"first_name":"Inès","last_name":"Moreau","birth_date":"1986-04-12","confirm_distinct":true}' | json_string id)
    case_id=$(api POST /v1/cases "{\"person_id\":\"$person_id\",\"reason\":\"Impayés de loyer depuis trois mois\",\"origin\":\"self\",\"referent_id\":\"$agent_id\"}" |
        json_string id)
    [ -n "$case_id" ] || die "no case id in the answer"
    due_on=$(date -u -d '+30 days' +%F)
    item_body="{\"party\":\"worker\",\"category\":\"investigation\",\"domain\":\"housing\",\"title\":\"Rechercher un logement social\",\"details\":\"Déposer la demande de logement social en ligne.\",\"due_on\":\"$due_on\"}"
    # Its answer is what the server stores for replays: pgbench stores the same bytes.
    item_response=$(api POST "/v1/cases/$case_id/plan/items" "$item_body")
    local status
    status=$(api GET "/v1/cases/$case_id" | json_string status)
    [ "$status" = intake ] || die "the seeded case is $status, expected intake"
    org_id=$(sql -c "SELECT id FROM organisations WHERE slug = 'demo'")
    # pgbench has no client-side UUIDs: ids come from a SQL UUIDv7 (time-ordered like the
    # server's Uuid::now_v7, so both fill the same indexes the same way).
    sql <<'SQL'
CREATE SCHEMA bench;
CREATE FUNCTION bench.uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
        substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;
GRANT USAGE ON SCHEMA bench TO relais_app;
VACUUM ANALYZE;
SQL
}

# --- Measurements ------------------------------------------------------------------------------

# Each measurement starts from a clean slate: no dead rows or unvacuumed inserts of the previous
# one for autovacuum to work through during this one (its CPU would count as PostgreSQL's), and
# no dirty pages to write.
checkpoint() {
    sql -c VACUUM >/dev/null
    sql -c CHECKPOINT
}

# wrk_rate SECONDS LUA PATH: runs wrk, prints its report to stderr (unless quiet=1, for a
# warm-up) and req/s to stdout; fails when any answer was not 2xx (the rate of errors says
# nothing about the path).
wrk_rate() {
    local seconds=$1 script=$2 path=$3 out
    out=$work/wrk.out
    wrk -t "$threads" -c "$connections" -d "${seconds}s" --latency -s "$script" \
        "$base$path" >"$out" 2>&1 || {
        cat "$out" >&2
        die "wrk failed"
    }
    [ "${quiet:-0}" = 1 ] || sed 's/^/    /' "$out" >&2
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        tail -n 30 "$work/server.log" >&2
        die "the server answered errors under load (see above)"
    fi
    awk '/^Requests\/sec:/ {print $2}' "$out"
}

# pgbench_tps SECONDS SQL [-D NAME=VALUE…]: runs pgbench over TCP like the server, with
# prepared statements like sqlx; prints its report to stderr (unless quiet=1) and the TPS to
# stdout. A failed statement (e.g. the case not visible) aborts the client, and so the run.
pgbench_tps() {
    local seconds=$1 script=$2 out
    shift 2
    out=$work/pgbench.out
    PGPASSWORD=$pg_password "$pg_bin/pgbench" -h 127.0.0.1 -p "$pg_port" -U relais -n \
        -M prepared -c "$connections" -j "$threads" -T "$seconds" -f "$script" \
        -D "org=$org_id" -D subject=alice -D "case=$case_id" -D n=0 "$@" relais \
        >"$out" 2>&1 || {
        cat "$out" >&2
        die "pgbench failed"
    }
    [ "${quiet:-0}" = 1 ] || grep -E '^(number of (transactions actually processed|failed)|latency average|tps)' "$out" |
        sed 's/^/    /' >&2
    awk '/^tps = / {print $3}' "$out"
}

# cpu_ticks PID…: the CPU time (user + system, in clock ticks) the processes have used so far.
cpu_ticks() {
    local pid total=0 ticks
    for pid in "$@"; do
        ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || ticks=0
        total=$((total + ${ticks:-0}))
    done
    echo "$total"
}

# postgres_ticks: the CPU time PostgreSQL has used so far: its processes alive now, and the
# postmaster's count of its children that have ended (pgbench's backends end with the run).
postgres_ticks() {
    local postmaster ended
    postmaster=$(head -n 1 "$work/pgdata/postmaster.pid")
    ended=$(awk '{print $16 + $17}' "/proc/$postmaster/stat")
    # shellcheck disable=SC2046 # one pid a word
    echo $(($(cpu_ticks "$postmaster" $(pgrep -P "$postmaster")) + ended))
}

# cpu_per_op LABEL TOOL COMMAND…: runs COMMAND (which drives TOOL, wrk or pgbench, and prints
# a rate per second on stdout) and logs the CPU milliseconds each operation cost the server,
# PostgreSQL and the load generator: where the time goes, beside the rate. Prints the rate.
cpu_per_op() {
    local label=$1 tool=$2 rate hz before_s before_p after_s after_p tool_s
    shift 2
    hz=$(getconf CLK_TCK)
    before_s=$(cpu_ticks "$server_pid")
    before_p=$(postgres_ticks)
    local TIMEFORMAT='%U %S'
    { time "$@" >"$work/rate" 2>&3; } 3>&2 2>"$work/times"
    after_s=$(cpu_ticks "$server_pid")
    after_p=$(postgres_ticks)
    rate=$(cat "$work/rate")
    tool_s=$(awk '{print $1 + $2}' "$work/times")
    awk -v label="$label" -v tool="$tool" -v rate="$rate" -v d="$duration" -v hz="$hz" \
        -v s=$((after_s - before_s)) -v p=$((after_p - before_p)) -v t="$tool_s" \
        'BEGIN { n = rate * d; if (n <= 0) exit;
                 printf "    CPU per %s: relais %.3f ms, PostgreSQL %.3f ms, %s %.3f ms\n",
                        label, s * 1000 / hz / n, p * 1000 / hz / n, tool, t * 1000 / n }' >&2
    echo "$rate"
}

# measure_get, measure_post: one round of an endpoint, the server first, then pgbench, each
# after its own warm-up; append req/s to rates_NAME and TPS to tps_NAME.
measure_get() {
    local path=/v1/cases/$case_id
    log "GET /v1/cases/{id}: server (wrk, ${connections} connections, ${threads} threads, ${duration} s)$round_label"
    export BENCH_TOKEN=$token
    quiet=1 wrk_rate "$warmup" "$bench_dir/get.lua" "$path" >/dev/null
    checkpoint
    rates_get+=("$(cpu_per_op request wrk wrk_rate "$duration" "$bench_dir/get.lua" "$path")")
    log "GET /v1/cases/{id}: pgbench (${connections} clients, ${threads} threads, ${duration} s)$round_label"
    quiet=1 pgbench_tps "$warmup" "$bench_dir/read_case.sql" -D run=warmup >/dev/null
    checkpoint
    tps_get+=("$(cpu_per_op transaction pgbench pgbench_tps "$duration" "$bench_dir/read_case.sql" -D run=measure)")
}

measure_post() {
    local path=/v1/cases/$case_id/plan/items
    log "POST /v1/cases/{id}/plan/items (fresh Idempotency-Key): server (wrk, ${connections} connections, ${threads} threads, ${duration} s)$round_label"
    export BENCH_TOKEN=$token BENCH_BODY=$item_body
    # A new run text for every wrk and pgbench run: keys never repeat across runs either.
    quiet=1 BENCH_RUN=$(random_hex 8) wrk_rate "$warmup" "$bench_dir/add_plan_item.lua" "$path" >/dev/null
    checkpoint
    rates_post+=("$(BENCH_RUN=$(random_hex 8) cpu_per_op request wrk wrk_rate "$duration" "$bench_dir/add_plan_item.lua" "$path")")
    log "POST /v1/cases/{id}/plan/items: pgbench (${connections} clients, ${threads} threads, ${duration} s)$round_label"
    local vars=(-D "due_on=$due_on" -D "body=$item_response")
    quiet=1 pgbench_tps "$warmup" "$bench_dir/add_plan_item.sql" "${vars[@]}" -D "run=$(random_hex 8)" >/dev/null
    checkpoint
    tps_post+=("$(cpu_per_op transaction pgbench pgbench_tps "$duration" "$bench_dir/add_plan_item.sql" "${vars[@]}" -D "run=$(random_hex 8)")")
}

median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# round_ratios RATES TPS: each round's ratio, space-separated (both arrays given as strings).
round_ratios() {
    local -a a b
    read -r -a a <<<"$1"
    read -r -a b <<<"$2"
    local i out=()
    for i in "${!a[@]}"; do out+=("$(ratio "${a[$i]}" "${b[$i]}")"); done
    echo "${out[*]}"
}

report() {
    local commit pg_version of='' name
    commit=$built_from
    [ -z "${BENCH_SERVER_BIN:-}" ] || commit="$commit, server binary $BENCH_SERVER_BIN"
    pg_version=$("$pg_bin/postgres" --version | awk '{print $3}')
    [ "$rounds" -eq 1 ] || of=" (median of $rounds rounds)"
    # Per measured endpoint: its label in the table, its label in Markdown, server and pgbench
    # medians, ratio, goal, and each round's ratio.
    local -a rows=()
    for name in $endpoints; do
        local -n rates=rates_$name tps=tps_$name goal=goal_$name
        local rate tps_m
        rate=$(median "${rates[@]}")
        tps_m=$(median "${tps[@]}")
        local each
        each=$(round_ratios "${rates[*]}" "${tps[*]}")
        # shellcheck disable=SC2086 # one ratio a word
        rows+=("$name|$rate|$tps_m|$(ratio "$(median $each)" 1)|$goal|$each")
        unset -n rates tps goal
    done
    local -A label=([get]='GET /v1/cases/{id}' [post]='POST /v1/cases/{id}/plan/items (keyed)')
    # shellcheck disable=SC2016 # the backquotes are Markdown
    local -A markdown=([get]='`GET /v1/cases/{id}`' [post]='`POST /v1/cases/{id}/plan/items`, fresh `Idempotency-Key`')
    local row key rate tps_m r goal each
    echo
    printf '%-40s %14s %13s %7s %6s\n' "endpoint$of" 'server req/s' 'pgbench TPS' ratio goal
    for row in "${rows[@]}"; do
        IFS='|' read -r key rate tps_m r goal each <<<"$row"
        printf '%-40s %14.0f %13.0f %7s %6s\n' "${label[$key]}" "$rate" "$tps_m" "$r" "$goal"
        [ "$rounds" -eq 1 ] || echo "    ratio of each round: $each"
    done
    echo
    echo "For the README's Performance section:"
    echo
    echo "$(date -u +%F), commit $commit, $(nproc) cores ($(uname -m)), PostgreSQL $pg_version," \
        "$connections connections, $threads threads, ${duration} s per side$of:"
    echo
    echo "| endpoint | server req/s | pgbench TPS | ratio | goal |"
    echo "|---|---:|---:|---:|---:|"
    for row in "${rows[@]}"; do
        IFS='|' read -r key rate tps_m r goal each <<<"$row"
        printf '| %s | %.0f | %.0f | %s | ≥ %s |\n' "${markdown[$key]}" "$rate" "$tps_m" "$r" "$goal"
    done
}

# --- At scale ----------------------------------------------------------------------------------

# What is measured at each size: label | role of the caller | path | goal in ms. The worker is
# bench-worker-1, one whose cases are open (the seed gives workers of even rank only closed
# cases: their agenda would be empty); the supervisor sees every case.
scale_endpoints() {
    local from to year_ago
    from=$(date -u +%F)
    to=$(date -u -d '+30 days' +%F)
    year_ago=$(date -u -d '-1 year +1 day' +%F)
    cat <<EOF
cases, first page (supervisor)|supervisor|/v1/cases|50
cases of the caller's teams (worker)|worker|/v1/cases|50
cases of one referent|supervisor|/v1/cases?referent=$scale_agent|50
cases past their target date|supervisor|/v1/cases?past_target=true|50
closed cases awaiting their review|supervisor|/v1/cases?review_due=true|50
archived cases|supervisor|/v1/cases?status=archived|50
agenda, next 30 days (worker)|worker|/v1/agenda?from=$from&to=$to|50
caseload statistics|supervisor|/v1/stats/caseload|100
caseload of one referent|supervisor|/v1/stats/caseload?referent=$scale_agent|100
activity report, this year|supervisor|/v1/stats/activity|100
activity report, last 12 months|supervisor|/v1/stats/activity?from=$year_ago&to=$from|100
activity report of one referent|supervisor|/v1/stats/activity?referent=$scale_agent|100
change feed, from its start|supervisor|/v1/events|50
change feed, one rare type|supervisor|/v1/events?types=application.decided|50
notifications, unread (worker)|worker|/v1/me/notifications?unread=true|50
person search, a common name|worker|/v1/persons?q=martin|50
person search, first and last name|worker|/v1/persons?q=zoe%20traore|50
person search, no match|worker|/v1/persons?q=zebulon|50
person search, name and birth date|worker|/v1/persons?q=moreau&birth_date=1980-03-01|50
EOF
}

# p50_ms SECONDS TOKEN PATH: one connection, one request at a time: wrk's median latency, in
# milliseconds. Fails when any answer was not 2xx, showing one.
p50_ms() {
    local seconds=$1 token=$2 path=$3 out
    out=$work/wrk-latency.out
    # A slow endpoint is measured, not dropped: wrk's default timeout (2 s) would count its
    # requests as errors and report no latency at all.
    BENCH_TOKEN=$token wrk -t 1 -c 1 -d "${seconds}s" --timeout 60s --latency \
        -s "$bench_dir/get.lua" "$base$path" >"$out" 2>&1 || {
        cat "$out" >&2
        die "wrk failed"
    }
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        curl -sS -H "Authorization: Bearer $token" "$base$path" >&2 || true
        echo >&2
        die "GET $path answered errors (above: one of them)"
    fi
    if ! grep -q '^ *50%' "$out" || grep -q 'Socket errors' "$out"; then
        cat "$out" >&2
        die "GET $path: no latency measured (above: wrk's report)"
    fi
    awk '$1 == "50%" {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /m$/) { sub(/m$/, "", v); v = v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
        printf "%.2f", v
    }' "$out"
}

# handover_ms FROM TO TOKEN: "CASES MS": how many open cases of FROM (500 at most) were handed
# to TO and back, three times each way, with POST /v1/cases/reassignments (the supervisor's
# handover of a caseload, DAILY.md), and the median time of one request in ms.
handover_cases=0
handover_ms() {
    local from=$1 to=$2 token=$3 ids body answer code round direction a b
    local -a times=()
    ids=$(sql -c "SELECT string_agg(format('\"%s\"', id), ',') FROM (
                    SELECT id FROM cases WHERE referent_id = '$from'
                       AND status NOT IN ('closed', 'archived') ORDER BY id LIMIT 500) c")
    [ -n "$ids" ] || die "no open case of $from to hand over"
    local count=$(($(tr -cd ',' <<<"$ids" | wc -c) + 1))
    for round in 1 2 3; do
        for direction in forth back; do
            if [ "$direction" = forth ]; then a=$from b=$to; else a=$to b=$from; fi
            body="{\"from_agent_id\":\"$a\",\"to_agent_id\":\"$b\",\"case_ids\":[$ids]}"
            answer=$(curl -sS -o "$work/handover.json" -w '%{http_code} %{time_total}' \
                -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
                --data "$body" "$base/v1/cases/reassignments")
            code=${answer%% *}
            [ "$code" = 200 ] || {
                cat "$work/handover.json" >&2
                die "the handover (round $round, $direction) answered $code"
            }
            times+=("${answer#* }")
        done
    done
    printf '%s\n' "${times[@]}" | sort -g |
        awk -v n="$count" '{ t[NR] = $1 } END { printf "%d %.1f\n", n, t[int((NR + 1) / 2)] * 1000 }'
}

# create_person_ms TOKEN: the median time in ms of POST /v1/persons for 10 namesakes of persons
# of the organisation `bench` (same names and birth date, `confirm_distinct`): each creation
# first looks for the persons it may duplicate (by birth date and name, DAILY.md), finds them,
# and creates the person as confirmed.
create_person_ms() {
    local token=$1 body answer code
    local -a times=()
    while IFS= read -r body; do
        answer=$(curl -sS -o "$work/person.json" -w '%{http_code} %{time_total}' \
            -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
            --data "$body" "$base/v1/persons")
        code=${answer%% *}
        [ "$code" = 201 ] || {
            cat "$work/person.json" >&2
            die "the creation of a namesake answered $code"
        }
        times+=("${answer#* }")
    done < <(sql -c "SELECT json_build_object('first_name', p.first_name, 'last_name', p.last_name,
                                              'birth_date', p.birth_date, 'confirm_distinct', true)
                     FROM persons p JOIN organisations o ON o.id = p.org_id
                     WHERE o.slug = 'bench' AND p.birth_date IS NOT NULL
                     ORDER BY p.id LIMIT 10 OFFSET 1000")
    [ "${#times[@]}" -gt 0 ] || die "no person of bench to make a namesake of"
    printf '%s\n' "${times[@]}" | sort -g |
        awk '{ t[NR] = $1 } END { printf "%.1f\n", t[int((NR + 1) / 2)] * 1000 }'
}

# Brings the organisation `bench` to each size of BENCH_SCALES with `relais bench seed` and
# measures every endpoint there; the latencies go to scale_ms[SIZE|LABEL]. At the largest size,
# the handover of 500 cases too (handover_at).
declare -A scale_ms=()
handover_at=
person_at=
scale_agent=
scale_run() {
    local size seeded=0 label role path goal token worker supervisor
    for size in $scales; do
        [ "$size" -gt "$seeded" ] || die "BENCH_SCALES must be ascending"
        log "Seeding the organisation bench up to $size cases ($scale_workers workers)"
        "$relais" bench seed --org bench --cases $((size - seeded)) --workers "$scale_workers" \
            >"$work/seed.json" 2>"$work/seed.log" || {
            tail -n 20 "$work/seed.log" >&2
            die "relais bench seed failed"
        }
        seeded=$size
        sql -c 'VACUUM ANALYZE'
        checkpoint >/dev/null
        if [ -z "$scale_agent" ]; then
            scale_agent=$(sql -c "SELECT a.id FROM agents a JOIN organisations o ON o.id = a.org_id
                                  WHERE o.slug = 'bench' AND a.subject = 'bench-worker-1'")
            worker=$("$relais" token --org bench --role worker --sub bench-worker-1 | tail -n 1)
            supervisor=$("$relais" token --org bench --role supervisor --sub bench-supervisor | tail -n 1)
        fi
        while IFS='|' read -r label role path goal; do
            if [ "$role" = worker ]; then token=$worker; else token=$supervisor; fi
            p50_ms 1 "$token" "$path" >/dev/null
            scale_ms[$size|$label]=$(p50_ms "$scale_duration" "$token" "$path")
            log "  $label: ${scale_ms[$size|$label]} ms at $size cases (goal $goal ms)"
        done < <(scale_endpoints)
    done
    local other
    other=$(sql -c "SELECT a.id FROM agents a JOIN organisations o ON o.id = a.org_id
                    WHERE o.slug = 'bench' AND a.subject = 'bench-worker-3'")
    read -r handover_cases handover_at < <(handover_ms "$scale_agent" "$other" "$supervisor")
    log "  handover of $handover_cases cases: $handover_at ms at $size cases (goal 1000 ms)"
    person_at=$(create_person_ms "$worker")
    log "  a person created, her namesakes looked for: $person_at ms at $size cases (goal 50 ms)"
}

report_scale() {
    local -a sizes
    read -r -a sizes <<<"$scales"
    local first=${sizes[0]} last=${sizes[-1]} size label role path goal row rule header
    echo
    echo "Median latency (ms), one request at a time, warm, by cases in the organisation:"
    echo
    header="| endpoint |"
    rule="|---|"
    for size in "${sizes[@]}"; do
        header+=" $size |"
        rule+="---:|"
    done
    echo "$header $last / $first | goal |"
    echo "$rule---:|---|"
    while IFS='|' read -r label role path goal; do
        row="| $label |"
        for size in "${sizes[@]}"; do row+=" ${scale_ms[$size|$label]} |"; done
        echo "$row $(ratio "${scale_ms[$last|$label]}" "${scale_ms[$first|$label]}")× | ≤ 2×, < $goal ms |"
    done < <(scale_endpoints)
    echo
    echo "Handover of $handover_cases open cases from one worker to another and back" \
        "(POST /v1/cases/reassignments), median of 6 at $last cases: $handover_at ms (goal < 1000 ms)."
    echo
    echo "A person created beside her namesakes (POST /v1/persons, the duplicate check finding" \
        "them, confirm_distinct), median of 10 at $last cases: $person_at ms (goal < 50 ms)."
    echo
    echo "$(date -u +%F), commit $built_from${BENCH_SERVER_BIN:+, server binary $BENCH_SERVER_BIN}," \
        "$(nproc) cores ($(uname -m)), PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}')," \
        "$scale_workers workers, ${scale_duration} s per endpoint and size."
}

# --- Import ------------------------------------------------------------------------------------

# import_run: one POST /v1/imports/cases of a generated file of $import_rows rows (distinct
# persons, half with a NIR whose key is right, cases back-entered a month ago) as a supervisor
# of the demo organisation; its time goes to import_s, its size to import_bytes.
import_s=
import_bytes=
import_run() {
    local token file answer code opened
    token=$("$relais" token --org demo --role supervisor --sub bench-importer | tail -n 1)
    file=$work/import.csv
    opened=$(date -u -d '-30 days' +%d/%m/%Y)
    awk -v n="$import_rows" -v run="$(random_hex 4)" -v opened="$opened" 'BEGIN {
        print "first_name;last_name;birth_date;nir;postcode;city;reason;origin;opened_on"
        for (i = 0; i < n; i++) {
            year = 1940 + i % 60; month = 1 + i % 12; day = 1 + i % 28
            nir = ""
            if (i % 2 == 0) {
                number = (i % 4 == 0 ? 1 : 2) * 1e12 + (year % 100) * 1e10 + month * 1e8 + 75 * 1e6 \
                         + (1 + int(i / 999)) * 1e3 + (1 + i % 999)
                nir = sprintf("%.0f%02d", number, 97 - number % 97)
            }
            printf "Prénom%s%d;Nom%d;%02d/%02d/%d;%s;75011;Paris;Dossier papier %d;self;%s\n",
                run, i, i, day, month, year, nir, i, opened
        }
    }' >"$file"
    import_bytes=$(wc -c <"$file")
    answer=$(curl -sS -o "$work/import.json" -w '%{http_code} %{time_total}' -X POST \
        -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' \
        --data-binary "@$file" "$base/v1/imports/cases")
    code=${answer%% *}
    [ "$code" = 201 ] || {
        head -c 2000 "$work/import.json" >&2
        echo >&2
        die "the import answered $code"
    }
    import_s=$(awk -v t="${answer#* }" 'BEGIN { printf "%.2f", t }')
    log "POST /v1/imports/cases: $import_rows rows ($import_bytes bytes) in $import_s s"
}

report_import() {
    echo
    echo "Import of a $import_rows-row CSV file ($import_bytes bytes; POST /v1/imports/cases, one" \
        "transaction): $import_s s (goal: seconds)."
}

check_settings() {
    local name value
    for name in duration warmup connections threads rounds; do
        value=${!name}
        [[ $value =~ ^[1-9][0-9]*$ ]] || die "BENCH_${name^^} must be a positive integer, not '$value'"
    done
    for name in $endpoints; do
        [[ $name == get || $name == post ]] || die "BENCH_ENDPOINTS lists get and/or post, not '$name'"
    done
    [ -n "${endpoints// /}" ] || die "BENCH_ENDPOINTS is empty"
    # wrk gives each thread at least one connection.
    [ "$connections" -ge "$threads" ] || die "BENCH_CONNECTIONS ($connections) must be at least BENCH_THREADS ($threads)"
    for name in scale_workers scale_duration import_rows; do
        value=${!name}
        [[ $value =~ ^[1-9][0-9]*$ ]] || die "BENCH_${name^^} must be a positive integer, not '$value'"
    done
    for value in $scales; do
        [[ $value =~ ^[1-9][0-9]*$ ]] || die "BENCH_SCALES lists positive integers, not '$value'"
    done
    case $mode in all | ratios | scale | import) ;; *) die "unknown mode '$mode': all, ratios, scale or import" ;; esac
}

main() {
    check_settings
    check_tools
    pg_ctl=$pg_bin/pg_ctl
    pick_pg_user
    build_server
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    work=$(mktemp -d "${TMPDIR:-/tmp}/relais-bench.XXXXXX")
    # The unprivileged PostgreSQL account must get through to its own directories.
    chmod 0711 "$work"
    start_cluster
    start_server
    if [ "$mode" = all ] || [ "$mode" = ratios ]; then
        seed
        local round
        for round in $(seq 1 "$rounds"); do
            [ "$rounds" -eq 1 ] || round_label=" [round $round/$rounds]"
            case " $endpoints " in *" get "*) measure_get ;; esac
            case " $endpoints " in *" post "*) measure_post ;; esac
        done
    fi
    if [ "$mode" != scale ]; then
        import_run
    fi
    if [ "$mode" = all ] || [ "$mode" = scale ]; then
        scale_run
    fi
    if [ "$mode" = all ] || [ "$mode" = ratios ]; then
        report
    fi
    [ "$mode" = scale ] || report_import
    if [ "$mode" = all ] || [ "$mode" = scale ]; then
        report_scale
    fi
}

main "$@"
