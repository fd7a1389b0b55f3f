#!/usr/bin/env bash
# `make run`: the app with demo data on http://127.0.0.1:8080 (KURVE_ADDR).
# Without DATABASE_URL it starts the private PostgreSQL of dev-postgres.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh run

if [ -z "${DATABASE_URL:-}" ]; then
  eval "$(scripts/dev-postgres.sh start)"
  export DATABASE_URL
fi

# A local development data key, generated once and kept out of git.
mkdir -p .data
if [ -z "${KURVE_DATA_KEY:-}${KURVE_DATA_KEY_FILE:-}" ]; then
  if [ ! -s .data/dev-data-key ]; then
    (umask 077 && bin/kurve key generate --development > .data/dev-data-key)
  fi
  export KURVE_DATA_KEY_FILE="$root/.data/dev-data-key"
fi

bin/kurve migrate
bin/kurve seed --demo
# A synthetic case load at eight more sites, so that the evaluator's
# dashboard has something to show beyond suppressed cells (once).
if [ "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM prevention.participants p JOIN org.sites s ON s.id = p.site_id WHERE s.code = 'GE'")" = "0" ]; then
  bin/kurve seed --synthetic --participants 3000
fi
echo "Kurve: http://${KURVE_ADDR:-127.0.0.1:8080}/login"
exec bin/kurve serve
