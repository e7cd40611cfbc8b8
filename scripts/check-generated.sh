#!/usr/bin/env bash
# Fails when supergraph.graphql, clients/schema.graphql, the codegen output (resolver types,
# client documents, the trusted-documents manifest) or deploy/nginx.conf differ from what their
# sources produce: regenerates them and compares with the files as they were.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/compose.ts --check
npx tsx scripts/deploy-config.ts --check
generated() { cat subgraphs/*/generated/*.ts clients/generated/* 2>/dev/null | sha256sum; }
before=$(generated)
npx graphql-codegen --config codegen.ts --silent
after=$(generated)
if [ "$before" != "$after" ]; then
  echo 'Generated files were stale: `npm run codegen` rewrote them; commit the result.' >&2
  exit 1
fi
echo 'Generated files are up to date.'
