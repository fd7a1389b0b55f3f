#!/usr/bin/env bash
# `make test`: every test against real PostgreSQL. Uses KURVE_TEST_DATABASE_URL
# when set, else the server on 127.0.0.1:5432 when it answers, else the
# private cluster of dev-postgres.sh (on its own port and data folder).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh test

if [ -z "${KURVE_TEST_DATABASE_URL:-}" ]; then
  if pg_isready -q -h 127.0.0.1 -p 5432 -U postgres 2>/dev/null \
      && psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
    export KURVE_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  else
    eval "$(KURVE_PGDATA="$root/.data/pg-test" KURVE_PGPORT=54330 KURVE_PGDATABASE=postgres scripts/dev-postgres.sh start)"
    export KURVE_TEST_DATABASE_URL="$DATABASE_URL"
    unset DATABASE_URL
  fi
fi

# axe-core for the browser test comes from the npm registry, pinned by
# package-lock.json.
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  npm ci --no-audit --no-fund --silent
fi

mkdir -p test-output
go test -race -count=1 -timeout 20m ./... "$@"

# The decoders' fuzz targets, briefly (their seed corpus also runs in the
# go test above); `make fuzz` runs them longer. The budget is a count of
# executions, not a duration: Go 1.26's coordinator can report a spurious
# "context deadline exceeded" when a duration -fuzztime expires while a worker
# is mid-call (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline
# to race. 10,000 runs take about 10 s on these machines.
for target in FuzzJSONText FuzzFormText; do
  go test ./app -run '^$' -fuzz "^${target}\$" -fuzztime "${KURVE_FUZZTIME:-10000x}"
done
