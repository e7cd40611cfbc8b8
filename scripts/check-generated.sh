#!/usr/bin/env bash
# Fails when supergraph.graphql or the codegen output differ from what their sources produce:
# regenerates them and compares with the files as they were.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/compose.ts --check
before=$(cat subgraphs/*/generated/*.ts | sha256sum)
npx graphql-codegen --config codegen.ts --silent
after=$(cat subgraphs/*/generated/*.ts | sha256sum)
if [ "$before" != "$after" ]; then
  echo 'Generated resolver types were stale: `npm run codegen` rewrote them; commit the result.' >&2
  exit 1
fi
echo 'Generated files are up to date.'
