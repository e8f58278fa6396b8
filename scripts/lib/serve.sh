# Sourced by the scripts that drive a live server (schemathesis.sh, clients.sh): builds the debug
# `relais`, starts `relais serve` (embedded PostgreSQL, demo organisation) on a free local port
# with a throw-away data directory, waits until it is ready, and mints a supervisor's token. On
# exit (whatever happens) the server, and with it PostgreSQL, is stopped with SIGTERM and the
# directory removed; a failing script shows the server log's last lines.
#
# After sourcing: $relais (the binary), $base (http://127.0.0.1:PORT), $token (supervisor
# sophie of the demo organisation), $python, and the functions http_ok and mint.
# shellcheck shell=bash

# The debug binary: already built by `cargo test`, so this is a no-op or an incremental link.
cargo build --quiet -p relais-server
relais=$PWD/target/debug/relais

data_dir=$(mktemp -d "${TMPDIR:-/tmp}/relais-live.XXXXXX")
# As root, the embedded PostgreSQL runs as an unprivileged account, which must be able to
# traverse this directory (it owns only the subdirectories it is handed).
chmod 0711 "$data_dir"
server_log=$data_dir/server.log
server_pid=

# Python is there (schemathesis needs it); prefer the virtual environment's.
python=python3
if [ -x .venv/bin/python ]; then python=$PWD/.venv/bin/python; fi

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# http_ok URL [TOKEN]: whether GET URL answers 2xx (in Python, as curl may be missing).
http_ok() {
    "$python" - "$@" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    request.add_header("Authorization", "Bearer " + sys.argv[2])
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception:
    sys.exit(1)
PY
}

# mint ROLE SUB: a development token of the demo organisation (stdout: the token alone).
mint() {
    "$relais" token --org demo --role "$1" --sub "$2" 2>/dev/null | tail -n 1
}

stop_server() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        echo "Stopping relais (pid $server_pid)"
        kill -TERM "$server_pid" 2>/dev/null || true
        # actix drains connections (up to 10 s), then relais stops its PostgreSQL.
        for _ in $(seq 1 300); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "relais did not stop within 30 s; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    # A PostgreSQL orphaned by a killed server: stop it before deleting its directory.
    if [ -f "$data_dir/pgdata/postmaster.pid" ]; then
        pg_pid=$(head -n 1 "$data_dir/pgdata/postmaster.pid" 2>/dev/null || true)
        if [ -n "$pg_pid" ] && kill -0 "$pg_pid" 2>/dev/null; then
            echo "stopping the orphaned PostgreSQL (pid $pg_pid)" >&2
            kill -INT "$pg_pid" 2>/dev/null || true
            for _ in $(seq 1 100); do
                kill -0 "$pg_pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
    fi
    if [ "$status" -ne 0 ] && [ -f "$server_log" ]; then
        echo "---- last lines of the server log ----" >&2
        tail -n 40 "$server_log" >&2 || true
    fi
    rm -rf -- "$data_dir"
    exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(free_port)
base=http://127.0.0.1:$port
export RELAIS_DATA_DIR=$data_dir
export RELAIS_LISTEN=127.0.0.1:$port
# The budgets stay on (every answer carries its RateLimit-* headers) but never run out: these
# tools call as fast as they can with one token, and send wrong client secrets on purpose.
export RELAIS_RATE_LIMIT_PER_MINUTE=${RELAIS_RATE_LIMIT_PER_MINUTE:-100000000}
export RELAIS_RATE_LIMIT_BURST=${RELAIS_RATE_LIMIT_BURST:-1000000}
export RELAIS_TOKEN_FAILURES_PER_MINUTE=${RELAIS_TOKEN_FAILURES_PER_MINUTE:-0}
unset DATABASE_URL

echo "Starting relais on $base (data in $data_dir)"
"$relais" serve </dev/null >"$server_log" 2>&1 &
server_pid=$!

ready=
for _ in $(seq 1 600); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "relais exited before becoming ready" >&2
        exit 1
    fi
    if http_ok "$base/readyz"; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ -z "$ready" ]; then
    echo "relais was not ready within 60 s" >&2
    exit 1
fi
echo "relais is ready"

token=$(mint supervisor sophie)
if [ -z "$token" ]; then
    echo "could not mint a token" >&2
    exit 1
fi
# The token works (a wrong key would turn every test case into a 401).
if ! http_ok "$base/v1/me" "$token"; then
    echo "GET /v1/me with the minted token failed" >&2
    exit 1
fi

