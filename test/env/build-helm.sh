#!/usr/bin/env bash
# Builds helm. Without the ldflags below helm reports version "v3.17" with no
# patch and assumes Kubernetes 1.20 for `.Capabilities.KubeVersion`, which
# would make chart templating disagree with the test API server.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_helm() {
  local out="$1"
  local minor="${K8S_VERSION#v1.}"
  minor="${minor%%.*}"
  mkdir -p "$out/bin"
  CGO_ENABLED=0 GOBIN="$out/bin" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  "$out/bin/helm" version
}

ensure_component helm "$HELM_VERSION" build_helm
