#!/usr/bin/env bash
# The domain crate stays pure: no database driver, web framework, OpenAPI generator or async
# runtime among its normal (non-dev) dependencies, direct or transitive.
set -euo pipefail
cd "$(dirname "$0")/.."

forbidden='sqlx|actix|utoipa|tokio'
tree=$(cargo tree -p relais-domain -e normal --prefix none)
if offenders=$(printf '%s\n' "$tree" | grep -Ei "$forbidden"); then
    echo "relais-domain must not depend on ${forbidden//|/, }; its dependency tree has:" >&2
    printf '%s\n' "$offenders" | sort -u | sed 's/^/  /' >&2
    echo "See why with: cargo tree -p relais-domain -e normal -i <crate>" >&2
    exit 1
fi
echo "relais-domain: no ${forbidden//|/, } in its normal dependencies"
