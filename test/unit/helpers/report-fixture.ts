import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEmbedded, type EmbeddedRunDeps, type RunReport } from '../../../src/embedded/run-embedded.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';

/**
 * A model name a compromised publisher chose to attack whatever renders the report: it closes a
 * Markdown table cell and link, plants an image whose error handler runs script, opens a script
 * element and sets the trap the browser test watches.
 */
export const HOSTILE_MODEL = 'x|y](http://evil)<img src=x onerror=alert(1)>`<script>window.__pwned=1</script>[z](http://evil.example)';
/** A hostile model version: an attribute breakout and a line break. */
export const HOSTILE_VERSION = 'v1" onmouseover="window.__pwned=2\n# forged heading';

/** Where {@link writeReportFixture} put the input and the engine's configuration. */
export interface ReportFixture {
  readonly dir: string;
  readonly input: string;
  /** Holds `detectors/` and `playbooks/` (the CLI's `--detectors` and `--playbooks`). */
  readonly configDir: string;
  readonly detectorsDir: string;
  readonly playbooksDir: string;
  readonly stateDir: string;
  /** Event time of the first record; a clock three hours later accepts the whole input. */
  readonly start: number;
}

const DETECTOR = [
  'apiVersion: meshwarden.io/v1', 'kind: Detector', 'metadata: { name: confidence-floor }', 'spec:', '  entity: model',
  '  threshold: 0.5', '  algorithm: { type: threshold, direction: below, warn: 0.5, critical: 0.2 }', '  features:', '    - name: confidence_mean', '',
].join('\n');

const NOTIFY = [
  'apiVersion: meshwarden.io/v1', 'kind: Playbook', 'metadata: { name: tell-the-soc }', 'spec:',
  '  trigger: { detectors: [confidence-floor], entityKinds: [model], minScore: 0.5 }', '  steps:',
  '    - name: alert', '      action: slack.notify', '      params: { channel: "#soc-alerts", text: "Model {{ entity.model }} lost confidence" }', '',
].join('\n');

const ROLLBACK = [
  'apiVersion: meshwarden.io/v1', 'kind: Playbook', 'metadata: { name: roll-back-model }', 'spec:',
  '  trigger: { detectors: [confidence-floor], entityKinds: [model], minScore: 0.5 }', '  steps:',
  '    - name: approve rollback', '      action: slack.approval',
  '      params: { channel: "#ml-oncall", approvers: { groups: [S0MLONCALL] }, timeout: 15m, onTimeout: deny }',
  '    - name: roll back', '      action: kubernetes.rollback-deployment',
  '      params: { namespace: "{{ entity.namespace }}", deployment: "{{ entity.model }}-predictor" }', '',
].join('\n');

/**
 * A small replay for report tests (a second or two through the engine): three model versions
 * report their confidence every ten seconds for an hour (or `minutes`); `churn@v7` collapses after 20 minutes,
 * the hostile model after 35, `fraud-detector@v3` stays healthy. One detector, and two playbooks:
 * a Slack alert, and a rollback behind an approval (refused for the hostile model, whose name is
 * no Deployment's).
 */
export function writeReportFixture(options: { readonly minutes?: number } = {}): ReportFixture {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-report-'));
  const configDir = join(dir, 'config');
  const detectorsDir = join(configDir, 'detectors');
  const playbooksDir = join(configDir, 'playbooks');
  mkdirSync(detectorsDir, { recursive: true });
  mkdirSync(playbooksDir);
  writeFileSync(join(detectorsDir, 'detector.yaml'), DETECTOR);
  writeFileSync(join(playbooksDir, 'notify.yaml'), NOTIFY);
  writeFileSync(join(playbooksDir, 'rollback.yaml'), ROLLBACK);
  const start = Date.parse('2026-11-03T09:00:00Z');
  const models = [
    { name: 'fraud-detector', version: 'v3', collapseAfter: Infinity },
    { name: 'churn', version: 'v7', collapseAfter: 20 * 60_000 },
    { name: HOSTILE_MODEL, version: HOSTILE_VERSION, collapseAfter: 35 * 60_000 },
  ];
  const lines: string[] = [];
  for (let at = 0; at < (options.minutes ?? 60) * 60_000; at += 10_000) {
    for (const model of models) {
      lines.push(JSON.stringify({
        schema: 'model_telemetry.v1', ts: new Date(start + at).toISOString(), kind: 'request', status_code: 200,
        model: { name: model.name, version: model.version, namespace: 'ml-prod' },
        prediction: { confidence: at < model.collapseAfter ? 0.9 : 0.1 },
      }));
    }
  }
  const input = join(dir, 'input.ndjson');
  writeFileSync(input, `${lines.join('\n')}\n`);
  return { dir, input, configDir, detectorsDir, playbooksDir, stateDir: join(dir, 'state'), start };
}

/**
 * Writes the fixture (after `tamper`, if given, has edited its input) and replays it through the
 * engine in dry-run on a clock three hours after its start; `deps` adds to the run's (progress).
 */
export async function replayReportFixture(
  options: { readonly tamper?: (input: string) => void; readonly deps?: Partial<EmbeddedRunDeps> } = {},
): Promise<RunReport> {
  const fixture = writeReportFixture();
  options.tamper?.(fixture.input);
  return runEmbedded(
    { input: fixture.input, configPaths: [fixture.configDir], stateDir: fixture.stateDir },
    { clock: new ManualClock(fixture.start + 3 * 3_600_000), logger: silentLogger(), ...options.deps },
  );
}
