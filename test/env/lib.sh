#!/usr/bin/env bash
# Shared helpers for the test-environment scripts. Sourced, never executed.
#
# Every component lands in "$TESTENV_CACHE/<component>-<version>/". It is
# built in a sibling temp dir and renamed into place only when complete, so a
# half-built component is never mistaken for a cache hit. A per-component
# flock serialises concurrent runs: the second one waits, then sees the hit.

set -euo pipefail

TESTENV_CACHE="${MESHWARDEN_TESTENV_CACHE:-$HOME/.cache/meshwarden/testenv}"
export TESTENV_CACHE

# Pins live in versions.env so the TypeScript side reads the same values.
# shellcheck source=versions.env
source "$(dirname "${BASH_SOURCE[0]}")/versions.env"

die() {
  echo "testenv: ERROR: $*" >&2
  exit 1
}

now_ms() {
  date +%s%3N
}

# component_dir <component> <version> -> final cache path
component_dir() {
  printf '%s/%s-%s' "$TESTENV_CACHE" "$1" "$2"
}

# ensure_component <component> <version> <builder-function>
# Calls "<builder-function> <tmpdir>" only on a cache miss, under a lock.
# The builder must fill <tmpdir>; it is then renamed to the final path.
ensure_component() {
  local name="$1" version="$2" builder="$3"
  local final
  final="$(component_dir "$name" "$version")"
  local start
  start="$(now_ms)"
  if [[ -f "$final/.complete" ]]; then
    echo "testenv: $name $version cached ($(( $(now_ms) - start )) ms) $final"
    return 0
  fi
  mkdir -p "$TESTENV_CACHE/.locks"
  local lockfile="$TESTENV_CACHE/.locks/$name-$version.lock"
  # fd 9 holds the lock for the rest of this function; closed on return.
  exec 9>"$lockfile"
  if ! flock -n 9; then
    echo "testenv: $name $version is being built by another run, waiting for its lock..."
    flock 9
  fi
  if [[ -f "$final/.complete" ]]; then
    exec 9>&-
    echo "testenv: $name $version cached after wait ($(( $(now_ms) - start )) ms) $final"
    return 0
  fi
  # Under the lock nobody else is building this component, so any temp dir
  # left for it is debris of an earlier failed or killed build.
  rm -rf "$TESTENV_CACHE/.tmp-$name-$version."*
  local tmp
  tmp="$(mktemp -d "$TESTENV_CACHE/.tmp-$name-$version.XXXXXX")"
  echo "testenv: $name $version: building into $tmp"
  # Run the builder in a subshell that is NOT an `if`/`||` operand: bash
  # ignores `set -e` inside such operands, which would let a failed step
  # fall through and cache a broken component.
  local rc=0
  set +e
  (
    set -e
    "$builder" "$tmp"
  )
  rc=$?
  set -e
  if [[ $rc -ne 0 ]]; then
    exec 9>&-
    die "$name $version failed to build (exit $rc; partial output kept in $tmp until the next attempt)"
  fi
  date -u +%Y-%m-%dT%H:%M:%SZ >"$tmp/.complete"
  # A stale incomplete dir (from a crash before .complete existed) would block the rename.
  rm -rf "$final"
  mv -T "$tmp" "$final"
  exec 9>&-
  echo "testenv: $name $version built ($(( ($(now_ms) - start) / 1000 )) s) $final"
}
