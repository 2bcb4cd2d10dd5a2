#!/usr/bin/env bash
# PostgreSQL for the Vault database secrets engine tests (test/integration/actions/postgres-server.ts
# runs initdb + pg_ctl from these binaries on loopback). Debian's package, installed when missing.
set -euo pipefail

found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -n "$found" && -x "$found/initdb" ]]; then
  echo "testenv: postgres $(basename "$(dirname "$found")") cached"
  exit 0
fi
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "testenv: ERROR: PostgreSQL server binaries are missing; install Debian's 'postgresql' package (apt-get install postgresql)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt-get (a parallel prepare, unattended upgrades) instead of failing on its lock.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends postgresql >/dev/null
found="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
echo "testenv: postgres $(basename "$(dirname "$found")") built"
