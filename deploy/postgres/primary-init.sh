#!/bin/sh
# Runs once, when the primary's data directory is created (the postgres image runs
# /docker-entrypoint-initdb.d/*): the role the replica streams WAL as, the pg_hba.conf line that
# lets it, and pg_stat_statements for `npm run db:report`.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v password="$REPLICATION_PASSWORD" <<'SQL'
create role replicator with replication login password :'password';
create extension if not exists pg_stat_statements;
SQL
echo 'host replication replicator all scram-sha-256' >> "$PGDATA/pg_hba.conf"
