#!/usr/bin/env bash
# Fails when supergraph.graphql or the codegen output differ from what their sources produce.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/compose.ts --check
npx graphql-codegen --config codegen.ts --silent
if [ -n "$(git status --porcelain -- '*/generated/*')" ]; then
  echo 'Generated resolver types are stale: run `npm run codegen` and commit the result.' >&2
  git status --short -- '*/generated/*' >&2
  exit 1
fi
echo 'Generated files are up to date.'
