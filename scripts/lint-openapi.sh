#!/usr/bin/env bash
# Lints the committed OpenAPI document (openapi/openapi.json, which a test keeps identical to the
# served one) with Redocly CLI and the rules of redocly.yaml: an error fails, a warning is shown.
# Redocly CLI is installed once under target/ci-tools with npm (Node.js 20 or later).
#
# Tunables (environment): REDOCLY_VERSION (default below).
set -euo pipefail
cd "$(dirname "$0")/.."

version=${REDOCLY_VERSION:-2.77.0}
tools=target/ci-tools/redocly
redocly=$tools/node_modules/.bin/redocly

if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js 20 or later (with npm)" >&2
    exit 1
fi
installed=$("$redocly" --version 2>/dev/null || true)
if [ "$installed" != "$version" ]; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --silent "@redocly/cli@$version"
fi
# The CLI asks the web for nothing it needs here.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
"$redocly" lint openapi/openapi.json --config redocly.yaml --format=stylish
