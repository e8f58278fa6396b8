#!/usr/bin/env bash
# Generated clients as part of the test suite (API.md, "For integrators"): starts a live server
# (scripts/lib/serve.sh), generates from its served /openapi.json
#   - a TypeScript client (openapi-typescript + openapi-fetch), compiled with `tsc --strict`,
#   - a Python client (openapi-python-client, failing on any warning),
# and runs the main accompaniment through each (tests/clients/*/journey.*): person → case →
# first interview → assessment → plan items → proposal → decision → the written plan in PDF,
# with no hand-written request.
#
# Needs Node.js 20+ with npm, and openapi-python-client (OPENAPI_PYTHON_CLIENT, default
# .venv/bin/openapi-python-client; .ci/run installs it). The TypeScript tools are the versions
# of tests/clients/typescript/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

generator=${OPENAPI_PYTHON_CLIENT:-.venv/bin/openapi-python-client}
if ! command -v "$generator" >/dev/null 2>&1; then
    echo "openapi-python-client not found at $generator (run .ci/run, or set OPENAPI_PYTHON_CLIENT)" >&2
    exit 1
fi
case $generator in
*/*) generator=$(cd "$(dirname "$generator")" && pwd)/$(basename "$generator") ;;
esac
ts=tests/clients/typescript
if [ ! -x "$ts/node_modules/.bin/tsc" ]; then
    (cd "$ts" && npm ci --no-audit --no-fund --silent)
fi

# shellcheck source=lib/serve.sh
. scripts/lib/serve.sh
worker=$(mint worker alice)

echo "TypeScript: generating the types and compiling the journey (tsc --strict)"
rm -rf -- "$ts/dist" "$ts/schema.d.ts"
"$ts/node_modules/.bin/openapi-typescript" "$base/openapi.json" --output "$ts/schema.d.ts" --silent
"$ts/node_modules/.bin/tsc" --project "$ts/tsconfig.json"
RELAIS_BASE_URL=$base RELAIS_TOKEN=$worker node "$ts/dist/journey.js"

echo "Python: generating the client and running the journey"
out=target/clients/python
rm -rf -- "$out"
mkdir -p "$out"
"$generator" generate --url "$base/openapi.json" --meta none \
    --config tests/clients/python/config.yml --output-path "$out/relais_client" --fail-on-warning
PYTHONPATH=$out RELAIS_BASE_URL=$base RELAIS_TOKEN=$worker "$python" tests/clients/python/journey.py
