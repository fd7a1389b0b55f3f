#!/usr/bin/env bash
# What `make run` and `make test` need on this machine, installed when
# missing (issue 14): the one set-up path of both commands and of .ci/run.
#
#   scripts/setup.sh run    # PostgreSQL server binaries
#   scripts/setup.sh test   # also pg_dump, Chromium, a font with Arabic
#                           # glyphs, Node.js/npm (axe-core), make
#
# As root it installs with apt-get; otherwise it prints the one command to
# run and stops. Idempotent: a machine that has everything is left alone.
set -euo pipefail

what=${1:-test}
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
if [ "$what" = test ]; then
  command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client) # erasure and restore tests
  command -v chromium >/dev/null 2>&1 || [ -n "${KURVE_CHROMIUM:-}" ] || need+=(chromium)
  fc-list :lang=ar 2>/dev/null | grep -q . || need+=(fonts-dejavu-core)
  command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
  command -v make >/dev/null 2>&1 || need+=(make)
fi
# Each package once.
mapfile -t need < <(printf '%s\n' "${need[@]}" | awk 'NF && !seen[$0]++')
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "setup: missing ${need[*]}. Install them with:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing ${need[*]}, and no apt-get to install them with; install them with your package manager" >&2
  exit 1
fi
echo "setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
