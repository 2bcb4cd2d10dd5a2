/**
 * Writes the second scenario (the assistant mesh) and its ground truth.
 *
 *   npx tsx scripts/generate-assistant-mesh.ts [--out examples/assistant-mesh/mesh.ndjson]
 *
 * `incidents.json` goes next to the output. The same version always gives byte-identical files.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_ASSISTANT_OPTIONS, generateAssistantMesh } from './scenarios/assistant-mesh/assistant-generator.js';

const args = process.argv.slice(2);
const at = args.indexOf('--out');
const out = at >= 0 ? args[at + 1] : 'examples/assistant-mesh/mesh.ndjson';
if (out === undefined || args.some((a, i) => a.startsWith('--') && a !== '--out' && i !== at + 1)) {
  process.stderr.write('usage: npx tsx scripts/generate-assistant-mesh.ts [--out FILE]\n');
  process.exit(2);
}
mkdirSync(dirname(out), { recursive: true });
const fd = openSync(out, 'w');
let result;
try {
  result = generateAssistantMesh(DEFAULT_ASSISTANT_OPTIONS, (chunk) => { writeSync(fd, chunk); });
} finally {
  closeSync(fd);
}
const truthPath = join(dirname(out), 'incidents.json');
writeFileSync(truthPath, `${JSON.stringify(result.truth, null, 2)}\n`);
process.stdout.write(`wrote ${out}: ${result.messages} messages; ${truthPath}: ${result.truth.incidents.length} incidents\n`);
