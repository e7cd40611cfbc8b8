#!/usr/bin/env bash
# Writes deploy/.env, the secrets docker compose reads (docs/deployment.md), each one random.
# Refuses to replace an existing file: new secrets would sign everyone out and lock the replica out.
set -euo pipefail
file="$(dirname "$0")/.env"
if [ -e "$file" ]; then
  echo "$file exists; remove it first to make new secrets" >&2
  exit 1
fi
umask 077
cat > "$file" <<ENV
JWT_SECRET=$(openssl rand -base64 48)
SUBGRAPH_SIGNING_SECRET=$(openssl rand -base64 48)
POSTGRES_PASSWORD=$(openssl rand -hex 24)
REPLICATION_PASSWORD=$(openssl rand -hex 24)
ENV
echo "wrote $file"
