#!/usr/bin/env bash
# Private PostgreSQL for `make run` (and `make test` on machines without a
# server on 127.0.0.1:5432): a cluster of the machine's PostgreSQL
# installation in .data/pg, listening on 127.0.0.1 only, trust auth.
# PostgreSQL refuses to run as root, so as root the cluster belongs to and
# runs as the unprivileged `postgres` user of the Debian package.
#
#   scripts/dev-postgres.sh start   # prints: export DATABASE_URL=...
#   scripts/dev-postgres.sh stop
#   scripts/dev-postgres.sh remove  # stop and delete the cluster
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${KURVE_PGDATA:-$root/.data/pg}
port=${KURVE_PGPORT:-54329}
db=${KURVE_PGDATABASE:-kurve}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ]; then
  bindir=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
fi
if [ ! -x "$bindir/initdb" ]; then
  echo "dev-postgres: no PostgreSQL server binaries found (Debian: apt-get install postgresql)" >&2
  exit 1
fi

as=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "dev-postgres: running as root needs the unprivileged 'postgres' user" >&2
    exit 1
  fi
  as=(runuser -u postgres --)
  # The server runs as postgres, who may not be able to reach a clone in a
  # private folder (/root/kurve, mktemp -d): then the cluster lives in
  # /var/lib/kurve-dev/<hash of the clone's path>, which postgres owns.
  if [ "${dir#"$root"/}" != "$dir" ] && ! runuser -u postgres -- test -x "$root" 2>/dev/null; then
    dir=/var/lib/kurve-dev/$(printf '%s' "$root" | sha256sum | cut -c1-12)/$(basename "$dir")
    mkdir -p "$(dirname "$dir")"
    chown postgres: "$(dirname "$dir")"
    chmod 700 "$(dirname "$dir")"
  fi
  # postgres' commands start in a folder they may enter.
  cd /
fi

case "${1:-start}" in
start)
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ ${#as[@]} -eq 0 ] || chown postgres: "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    log=$(mktemp)
    "${as[@]}" "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$log" 2>&1 \
      || { cat "$log" >&2; rm -f "$log"; exit 1; }
    rm -f "$log"
  fi
  if ! "${as[@]}" "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    "${as[@]}" "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
  fi
  echo "export DATABASE_URL='postgres://postgres@127.0.0.1:$port/$db?sslmode=disable'"
  ;;
stop)
  if [ -f "$dir/PG_VERSION" ]; then
    "${as[@]}" "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
  fi
  ;;
remove)
  if [ -f "$dir/PG_VERSION" ]; then
    "${as[@]}" "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  case "$dir" in /var/lib/kurve-dev/*) rmdir "$(dirname "$dir")" 2>/dev/null || true ;; esac
  ;;
*)
  echo "usage: $0 start|stop|remove" >&2
  exit 2
  ;;
esac
