#!/usr/bin/env bash
# Copies what the chart ships from the repository into helm/meshwarden/files/:
#   detectors/*.yaml, playbooks/*.yaml   byte-for-byte copies (helm package does not follow symlinks
#                                        that leave the chart, so the chart holds real files)
#   actions.json                         the RBAC each registered action declares, keyed by action id,
#                                        with its inverse: the chart's Role/ClusterRole is derived from it
#   grafana/meshwarden-dashboard.json    a byte-for-byte copy of deploy/grafana/ (grafanaDashboard.enabled)
# Run it after changing detectors/, playbooks/, the dashboard or an action's `rbac`; test/unit/helm/
# fails until you do.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files="$repo/helm/meshwarden/files"

for kind in detectors playbooks; do
  mkdir -p "$files/$kind"
  rm -f "$files/$kind"/*.yaml
  cp "$repo/$kind"/*.yaml "$files/$kind/"
done

mkdir -p "$files/grafana"
cp "$repo/deploy/grafana/meshwarden-dashboard.json" "$files/grafana/meshwarden-dashboard.json"

node "$repo/bin/meshwarden.js" actions --json | node --input-type=module -e '
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const catalog = {};
  for (const action of JSON.parse(input)) {
    catalog[action.id] = { ...(action.inverse === undefined ? {} : { inverse: action.inverse }), rbac: action.rbac };
  }
  process.stdout.write(JSON.stringify(catalog, null, 2) + "\n");
' > "$files/actions.json.tmp"
mv "$files/actions.json.tmp" "$files/actions.json"

echo "synced $(ls "$files/detectors" | wc -l) detector(s), $(ls "$files/playbooks" | wc -l) playbook(s), the dashboard, $(grep -c '"rbac"' "$files/actions.json") action(s) into $files"
