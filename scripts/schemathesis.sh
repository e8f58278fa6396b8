#!/usr/bin/env bash
# Property-based API tests: starts `relais serve` (embedded PostgreSQL, demo organisation) on a
# free local port with a throw-away data directory, and runs Schemathesis over every operation of
# the served /openapi.json with a supervisor's token, then over the partner registry, the
# scheme catalogue, the events (feed, webhook subscriptions) and the letter templates with an
# admin's token, and over
# the partner's own operations with a partner token. The server (and with it PostgreSQL) is stopped with SIGTERM on exit, whatever happens.
#
# Every check runs (responses against the document, positive data accepted, negative data
# refused, missing headers, undeclared methods, stateful sequences through the document's
# links). What a generator cannot know from the document is in scripts/schemathesis/: the
# config (valid NIRs and SIRETs for positive cases, 428 for a missing If-Match) and the hooks
# (412 on a random If-Match, and the refusals of rules across fields or against the clock, by
# operation, pointer and code).
#
# Tunables (environment): SCHEMATHESIS (the executable, default .venv/bin/schemathesis),
# SCHEMATHESIS_CHECKS (default all),
# SCHEMATHESIS_MAX_EXAMPLES (default 50), SCHEMATHESIS_SEED (default 20261122),
# SCHEMATHESIS_TIMEOUT (hard limit of the run in seconds, default 300),
# SCHEMATHESIS_REPORT_DIR (default target/schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."

schemathesis=${SCHEMATHESIS:-.venv/bin/schemathesis}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
seed=${SCHEMATHESIS_SEED:-20261122}
hard_timeout=${SCHEMATHESIS_TIMEOUT:-300}
report_dir=${SCHEMATHESIS_REPORT_DIR:-target/schemathesis}
checks=${SCHEMATHESIS_CHECKS:-all}

if ! command -v "$schemathesis" >/dev/null 2>&1; then
    echo "schemathesis not found at $schemathesis (run .ci/run, or set SCHEMATHESIS)" >&2
    exit 1
fi

# What a generator cannot know from the document: scripts/schemathesis/ (config and hooks).
settings=$PWD/scripts/schemathesis

# shellcheck source=lib/serve.sh
. scripts/lib/serve.sh

# Schemathesis and Hypothesis keep state (.schemathesis/, .hypothesis/) in the working
# directory: give them a fresh one under the report directory, so runs stay reproducible.
mkdir -p "$report_dir"
report_dir=$(cd "$report_dir" && pwd)
rm -rf -- "$report_dir/work"
mkdir -p "$report_dir/work"
case $schemathesis in
*/*) schemathesis=$(cd "$(dirname "$schemathesis")" && pwd)/$(basename "$schemathesis") ;;
esac

# partner_token: registers a partner with the admin's token and exchanges its client
# credentials for a partner token (POST /v1/oauth/token), so partner operations are exercised
# with a caller they accept rather than answering 403 to everything.
partner_token() {
    "$python" - "$base" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
base, admin = sys.argv[1], sys.argv[2]
request = urllib.request.Request(
    base + "/v1/partners",
    data=json.dumps({"name": "Partenaire de test"}).encode(),
    headers={"Authorization": "Bearer " + admin, "Content-Type": "application/json"},
)
with urllib.request.urlopen(request, timeout=10) as response:
    partner = json.load(response)
form = urllib.parse.urlencode({
    "grant_type": "client_credentials",
    "client_id": partner["client_id"],
    "client_secret": partner["client_secret"],
}).encode()
with urllib.request.urlopen(base + "/v1/oauth/token", data=form, timeout=10) as response:
    print(json.load(response)["access_token"])
PY
}

admin_token=$(mint admin adele)
partner=$(partner_token "$admin_token") || {
    echo "could not register a partner and get its token" >&2
    exit 1
}

# run_pass NAME TOKEN WORKERS [FILTER…]: one schemathesis run with TOKEN over the operations
# FILTER selects (all without filter), reported in junit-NAME.xml. Python 3.11's ast.parse is
# not thread-safe and Hypothesis calls it while describing strategies: the hooks serialise it
# (scripts/schemathesis/hooks.py), so several workers are safe.
run_pass() {
    local name=$1 pass_token=$2 workers=$3
    shift 3
    echo "Running schemathesis $("$schemathesis" --version | awk '{print $NF}') ($name): at most ${max_examples} examples per operation, seed ${seed}"
    (
        cd "$report_dir/work"
        export HYPOTHESIS_STORAGE_DIRECTORY=$report_dir/work/.hypothesis
        export SCHEMATHESIS_HOOKS=$settings/hooks.py
        exec timeout --signal=INT --kill-after=30 "$hard_timeout" \
            "$schemathesis" --config-file "$settings/config.toml" run "$base/openapi.json" \
            --checks "$checks" \
            --header "Authorization: Bearer $pass_token" \
            --max-examples "$max_examples" \
            --seed "$seed" \
            --generation-database none \
            --workers "$workers" \
            --request-timeout 10 \
            --no-color \
            --report junit \
            --report-junit-path "$report_dir/junit-$name.xml" \
            "$@"
    )
}

status=0
# Every operation as a supervisor; the partner registry, the scheme catalogue, the events (the
# feed and the webhook subscriptions), the organisation's letterhead and the letter templates as
# an admin; the partner's own operations (referrals, received liaisons) as a partner.
run_pass supervisor "$token" 2 || status=$?
if [ "$status" -eq 0 ]; then
    run_pass admin "$admin_token" 1 --include-tag-regex '^(partners|schemes|events|organisation|letters)$' || status=$?
fi
if [ "$status" -eq 0 ]; then
    run_pass partner "$partner" 1 --include-path-regex '^/v1/(referrals|liaisons)' || status=$?
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 130 ]; then
    echo "schemathesis did not finish within ${hard_timeout} s" >&2
fi
exit "$status"
