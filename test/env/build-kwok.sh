#!/usr/bin/env bash
# Builds kwok, the fake kubelet that turns scheduled pods Running on a fake node.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_kwok() {
  local out="$1"
  mkdir -p "$out/bin"
  CGO_ENABLED=0 GOBIN="$out/bin" go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  "$out/bin/kwok" --version
}

ensure_component kwok "$KWOK_VERSION" build_kwok
