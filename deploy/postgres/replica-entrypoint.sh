#!/bin/sh
# The replica's start: on an empty data directory a base backup of the primary (-R writes
# standby.signal and primary_conninfo), then PostgreSQL as a hot standby streaming its WAL.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -q; do sleep 1; done
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream -c fast
  # PostgreSQL refuses a data directory others can read (the image's is 1777).
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
