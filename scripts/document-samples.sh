#!/usr/bin/env bash
# Renders a sample of every document Relais prints to docs/documents/*.png (the first page of
# each PDF at 60 dpi), as the README shows them: starts a live server (scripts/lib/serve.sh,
# demo organisation), gives the organisation a logo, follows one fictitious person through the
# API (scripts/samples/documents.py) and asks each document as application/pdf, then draws the
# PDFs with pdftoppm (poppler-utils). Run it after changing what a document prints, and commit
# the images.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pdftoppm >/dev/null 2>&1 || {
    echo "pdftoppm not found: apt-get install poppler-utils" >&2
    exit 1
}
# shellcheck source=lib/serve.sh
. scripts/lib/serve.sh

out=docs/documents
pdfs=$(mktemp -d "${TMPDIR:-/tmp}/relais-samples.XXXXXX")
admin=$(mint admin adele)
worker=$(mint worker alice)
dpo=$(mint dpo dominique)
RELAIS_BASE_URL=$base RELAIS_ADMIN=$admin RELAIS_WORKER=$worker RELAIS_DPO=$dpo \
    "$python" scripts/samples/documents.py "$pdfs"
mkdir -p "$out"
for pdf in "$pdfs"/*.pdf; do
    name=$(basename "$pdf" .pdf)
    pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$pdf" "$out/$name"
    echo "$out/$name.png"
done
rm -rf -- "$pdfs"
