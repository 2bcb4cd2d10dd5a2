#!/usr/bin/env bash
# Builds Prometheus Alertmanager, the receiver of the Alertmanager output's alerts in the
# integration tests. `go install module@version` refuses: the web UI is embedded from
# ui/app/dist, which is built by npm in Alertmanager's release process and is not part of the
# module. The tests use the v2 API only, so the module is downloaded from the Go module proxy,
# copied, given a placeholder UI and built inside its own directory.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_alertmanager() {
  local out="$1"
  local module="github.com/prometheus/alertmanager"
  local dir
  dir="$(cd "$out" && go mod download -json "$module@$ALERTMANAGER_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  [[ -d "$dir" ]] || die "go mod download gave no directory for $module@$ALERTMANAGER_VERSION"
  local src="$out/src"
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  for ui in elm mantine; do
    mkdir -p "$src/ui/app/dist/$ui"
    printf '<!doctype html><title>Alertmanager</title><p>Web UI not built; use the v2 API.</p>\n' >"$src/ui/app/dist/$ui/index.html"
  done
  mkdir -p "$out/bin"
  (
    cd "$src"
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION#v}" \
      -o "$out/bin/alertmanager" ./cmd/alertmanager
  )
  rm -rf "$src"
  "$out/bin/alertmanager" --version
}

ensure_component alertmanager "$ALERTMANAGER_VERSION" build_alertmanager
