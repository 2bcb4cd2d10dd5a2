#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler from the
# Go module proxy into the test-environment cache.
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` does not work because
# k8s.io/kubernetes replaces its ~30 staging modules with ./staging paths. A
# wrapper module that requires k8s.io/kubernetes and replaces every staging
# module with its published v0.x twin does (kubernetes#79384). The replace list
# is generated from the downloaded go.mod so it can never drift from the pin.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_kubernetes() {
  local out="$1"
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/meshwarden-k8s-build.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" RETURN

  local gomod
  gomod="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  [[ -f "$gomod" ]] || { echo "go.mod of k8s.io/kubernetes@$K8S_VERSION not found" >&2; return 1; }

  (
    cd "$work"
    go mod init meshwarden.local/testenv/kubernetes >/dev/null 2>&1
    # Copy the go directive so the build uses the language version Kubernetes expects.
    local godirective
    godirective="$(go mod edit -json "$gomod" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Go"])')"
    go mod edit -go="$godirective"
    go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
    go mod edit -json "$gomod" | python3 -c '
import json, sys
staging = sys.argv[1]
mod = json.load(sys.stdin)
for r in mod.get("Replace") or []:
    new = r["New"]["Path"]
    if new.startswith("./staging/"):
        old = r["Old"]["Path"]
        print(f"-replace={old}={old}@{staging}")
' "$K8S_STAGING_VERSION" | xargs go mod edit
    echo "kubernetes: $(grep -c '^replace' go.mod || true) staging replaces" >&2
    cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
    GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$K8S_VERSION"
    local v="k8s.io/component-base/version"
    local minor="${K8S_VERSION#v1.}"
    minor="${minor%%.*}"
    local ldflags="-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
    mkdir -p "$out/bin"
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$out/bin/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler
  )
  "$out/bin/kube-apiserver" --version
}

ensure_component kubernetes "$K8S_VERSION" build_kubernetes
