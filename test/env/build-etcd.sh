#!/usr/bin/env bash
# Builds etcd from the Go module proxy. Debian's etcd (3.4.23) is older than
# the minimum Kubernetes 1.32 documents, so it is not an option.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_etcd() {
  local out="$1"
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/meshwarden-etcd-build.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" RETURN
  (
    cd "$work"
    go mod init meshwarden.local/testenv/etcd >/dev/null 2>&1
    cat >tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
    GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    mkdir -p "$out/bin"
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/bin/etcd" go.etcd.io/etcd/server/v3
  )
  "$out/bin/etcd" --version
}

ensure_component etcd "$ETCD_VERSION" build_etcd
