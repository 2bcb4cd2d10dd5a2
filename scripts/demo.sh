#!/usr/bin/env bash
# The embedded demo: replays the bundled recording of a small AI mesh (48 h, seven injected
# incidents) through every detector and playbook in dry-run, then verifies the audit ledger.
set -euo pipefail
cd "$(dirname "$0")/.."

recording=examples/recording/mesh.ndjson
state=.meshwarden-demo

# The recording is generated (deterministically) rather than committed; regenerate it when the
# generator changed since it was written.
if [ ! -s "$recording" ] || [ -n "$(find scripts/generate-recording.ts scripts/recording -newer "$recording" -print -quit)" ]; then
  echo "generating $recording (deterministic, ~30 s) ..."
  node --import tsx scripts/generate-recording.ts --out "$recording"
fi

# The ledger's signing key lives outside the state directory, as it would in a Secret: whoever can
# rewrite the state cannot forge the signed checkpoints. The demo makes its own Ed25519 key once;
# verifying needs only the public half.
keydir=.meshwarden-demo-key
if [ ! -s "$keydir/ledger.pem" ]; then
  mkdir -p "$keydir"
  node -e '
    const { generateKeyPairSync } = require("node:crypto");
    const { writeFileSync } = require("node:fs");
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    writeFileSync(process.argv[1] + "/ledger.pem", privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    writeFileSync(process.argv[1] + "/ledger.pub.pem", publicKey.export({ type: "spki", format: "pem" }));
  ' "$keydir"
fi

rm -rf "$state"
# The demo's own install values (its auth namespace and signing-key path) come from its config, as
# a site's come from its service config: the shipped playbooks name no site's targets.
node bin/meshwarden.js run --input "$recording" --detectors detectors --playbooks playbooks \
  --config examples/recording/meshwarden.yaml --state "$state" --dry-run --ledger-key "$keydir/ledger.pem" \
  --report "$state/report.json" --html "$state/report.html" --markdown "$state/report.md"
echo
echo "full report: $state/report.json   timeline: $state/report.html   for a ticket: $state/report.md"
echo "audit ledger: $state/audit/ledger.jsonl   dead letters: $state/dead-letters.ndjson"
node bin/meshwarden.js audit verify "$state" --key "$keydir/ledger.pub.pem"
