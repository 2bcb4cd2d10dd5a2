#!/usr/bin/env bash
# Builds Open Policy Agent, the policy engine the policy gate asks before each
# step. The integration tests run `opa run --server` with the shipped policies
# and `opa test policies/` checks the policies' own tests.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_opa() {
  local out="$1"
  mkdir -p "$out/bin"
  CGO_ENABLED=0 GOBIN="$out/bin" go install -trimpath \
    -ldflags "-s -w -X github.com/open-policy-agent/opa/v1/version.Version=${OPA_VERSION#v}" \
    "github.com/open-policy-agent/opa@$OPA_VERSION"
  "$out/bin/opa" version
}

ensure_component opa "$OPA_VERSION" build_opa
