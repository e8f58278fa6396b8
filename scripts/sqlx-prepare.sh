#!/usr/bin/env bash
# Regenerates .sqlx/, the cached descriptions of the compile-time checked queries, against a
# throw-away PostgreSQL cluster with every migration applied. With --check, regenerates into a
# temporary directory and fails when the committed .sqlx/ differs (CI runs it).
#
# Needs the PostgreSQL server and client binaries (initdb, pg_ctl, psql). Run from anywhere.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
check=false
[[ "${1:-}" == "--check" ]] && check=true

find_bin() {
    local name=$1
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -n "$dir" && -x "$dir/$name" ]]; then echo "$dir/$name"; return; fi
    echo "missing $name: install the PostgreSQL server (apt-get install postgresql)" >&2
    exit 1
}
initdb=$(find_bin initdb)
pg_ctl=$(find_bin pg_ctl)
psql=$(find_bin psql)

work=$(mktemp -d /tmp/relais-sqlx-XXXXXX)
chmod 755 "$work"
as_owner=()
if [[ $(id -u) == 0 ]]; then
    # PostgreSQL refuses to run as root.
    owner=postgres
    id "$owner" >/dev/null 2>&1 || owner=nobody
    chown "$owner" "$work"
    as_owner=(runuser -u "$owner" --)
fi
cleanup() {
    "${as_owner[@]}" "$pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"${as_owner[@]}" "$initdb" -D "$work/data" -U relais --auth-local=trust --auth-host=reject >/dev/null
"${as_owner[@]}" "$pg_ctl" -D "$work/data" -l "$work/log" -w \
    -o "-c listen_addresses='' -k $work -c fsync=off" start >/dev/null
"$psql" -q -h "$work" -U relais -d postgres -c 'CREATE DATABASE relais' >/dev/null
for migration in migrations/*.sql; do
    "$psql" -q -v ON_ERROR_STOP=1 -h "$work" -U relais -d relais -f "$migration" >/dev/null
done

# Fresh descriptions go to a private directory first, so concurrent runs never mix.
fresh="$work/fresh"
mkdir -p "$fresh"
# Force the query macros to run again, live, writing their descriptions.
touch crates/store/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$fresh" \
    DATABASE_URL="postgres:///relais?host=$work&user=relais" \
    cargo check -q -p relais-store --all-targets
touch crates/store/src/lib.rs
# A concurrent cargo build may have compiled the store crate in between (offline), so the macros
# never ran here: never mistake that for "no queries" and wipe .sqlx/.
if [[ -z $(ls -A "$fresh") ]]; then
    echo "no query descriptions were written (another cargo build compiled the store crate" \
         "meanwhile?): run this script again" >&2
    exit 1
fi

if $check; then
    if ! diff -r -q "$fresh" "$root/.sqlx" >/dev/null 2>&1; then
        diff -r "$fresh" "$root/.sqlx" | head -n 40 || true
        echo ".sqlx/ is out of date: run scripts/sqlx-prepare.sh and commit the result" >&2
        exit 1
    fi
    echo ".sqlx/ is current"
else
    rm -rf "$root/.sqlx.old"
    [[ -d "$root/.sqlx" ]] && mv "$root/.sqlx" "$root/.sqlx.old"
    cp -r "$fresh" "$root/.sqlx"
    rm -rf "$root/.sqlx.old"
    echo "wrote $(ls "$root/.sqlx" | wc -l) query descriptions to .sqlx/"
fi
