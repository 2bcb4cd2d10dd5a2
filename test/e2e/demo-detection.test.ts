import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { runEmbedded, type RunReport } from '../../src/embedded/run-embedded.js';
import { verifyLedger } from '../../src/audit/verify-ledger.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { runReportSchema } from '../../src/embedded/report-schema.js';
import { parseCli } from '../../scripts/recording/cli-options.js';
import { generateRecording } from '../../scripts/recording/recording-generator.js';

interface GroundTruth {
  readonly kind: string;
  readonly entities: readonly string[];
  readonly related: readonly string[];
  readonly start: string;
  readonly end: string;
}

const WINDOW = 60_000;
/** Drift monitors report every 10 minutes: a drift incident can only be seen at that cadence. */
const DRIFT_CADENCE = 10 * WINDOW;
/** An incident's aftermath (the last anomalous window, straggling effects) still belongs to it. */
const AFTERMATH = 10 * WINDOW;

let report: RunReport;
let truth: readonly GroundTruth[];
let stateDir: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-demo-'));
  const options = parseCli(['--out', join(dir, 'mesh.ndjson')]);
  const fd = openSync(options.out, 'w');
  try {
    truth = generateRecording(options, (chunk) => {
      writeSync(fd, chunk);
    }).incidentsFile.incidents;
  } finally {
    closeSync(fd);
  }
  stateDir = join(dir, 'state');
  // The demo's install values, as scripts/demo.sh passes them (`--config`).
  const demoConfig = await loadConfig(['examples/recording/meshwarden.yaml'], { serviceConfigs: true });
  const playbookVars = demoConfig.services[0]?.value.playbookVars;
  if (demoConfig.problems.length > 0 || playbookVars === undefined) throw new Error('examples/recording/meshwarden.yaml does not load');
  report = await runEmbedded(
    { input: options.out, configPaths: ['detectors', 'playbooks'], stateDir, playbookVars },
    { clock: new ManualClock(Date.UTC(2026, 10, 4)), logger: silentLogger() },
  );
}, 300_000);

describe('the embedded demo on the bundled recording', () => {
  it('accounts for every record: parsed plus dead-lettered equals read', () => {
    expect(report.records).toBe(report.parsed + report.deadLettered);
    expect(report.parsed).toBeGreaterThan(200_000);
  });

  it('detects every injected incident on its own entity within two windows of its start', () => {
    for (const incident of truth) {
      const start = Date.parse(incident.start);
      const allowed = incident.kind === 'feature-drift' ? 2 * DRIFT_CADENCE : 2 * WINDOW;
      for (const entity of incident.entities.filter((e) => !e.startsWith('edge:'))) {
        const first = report.anomalies
          .filter((a) => a.entity === entity && Date.parse(a.windowEnd) > start)
          .map((a) => Date.parse(a.windowStart))
          .sort((a, b) => a - b)[0];
        expect(first, `${incident.kind}: no anomaly on ${entity}`).toBeDefined();
        expect((first ?? Infinity) - start, `${incident.kind}: ${entity} detected late`).toBeLessThanOrEqual(allowed);
      }
    }
  });

  it('stays quiet on the benign part: every anomaly belongs to an injected incident or its cascade', () => {
    const stray = report.anomalies.filter((a) => {
      const at = Date.parse(a.windowStart);
      return !truth.some((incident) =>
        at >= Date.parse(incident.start) - WINDOW && at <= Date.parse(incident.end) + AFTERMATH &&
        (incident.entities.includes(a.entity) || incident.related.includes(a.entity)));
    });
    expect(stray.map((a) => `${a.windowStart} ${a.detector} ${a.entity}`)).toEqual([]);
    const firstIncident = Math.min(...truth.map((i) => Date.parse(i.start)));
    expect(report.anomalies.filter((a) => Date.parse(a.windowStart) < firstIncident)).toEqual([]);
  });

  it('would quarantine the exfiltrating pod, rotate the credential under attack and roll the model back', () => {
    const exfil = truth.find((i) => i.kind === 'exfiltration')?.entities.find((e) => e.startsWith('pod:'));
    const pod = exfil?.slice('pod:'.length);
    expect(report.actions).toContainEqual(expect.objectContaining({ action: 'kubernetes.quarantine-pod', target: `Pod ${pod ?? '?'}`, outcome: 'dry-run' }));
    expect(report.actions).toContainEqual(expect.objectContaining({ playbook: 'rotate-credentials-on-stuffing', action: 'vault.rotate-secret', outcome: 'dry-run' }));
    // Its own secret and Deployment, named by the demo's config.
    expect(report.actions).toContainEqual(expect.objectContaining({ playbook: 'rotate-credentials-on-stuffing', action: 'kubernetes.restart-deployment', target: 'Deployment ml-prod/auth', outcome: 'dry-run' }));
    for (const a of report.actions.filter((x) => x.action === 'vault.rotate-secret')) expect(a.target).toContain('ml-prod/auth/session');
    expect(report.actions).toContainEqual(expect.objectContaining({ playbook: 'model-rollback', action: 'kubernetes.rollback-deployment', outcome: 'dry-run' }));
    expect(report.actions.filter((a) => a.outcome === 'failed')).toEqual([]);
  });

  it('gives every anomaly its evidence: features observed against expected, score in [0, 1)', () => {
    for (const anomaly of report.anomalies) {
      expect(anomaly.score).toBeGreaterThan(0);
      expect(anomaly.score).toBeLessThan(1);
      expect(anomaly.evidence.length).toBeGreaterThan(0);
      for (const e of anomaly.evidence) expect(Number.isFinite(e.observed) && Number.isFinite(e.expected)).toBe(true);
    }
  });

  it('groups the incidents into one case per injected incident, never one case for two', () => {
    const incidentsById = new Map(report.incidents.map((i) => [i.id, i]));
    // The injected incidents a case's incidents fall in: entity named by it, time within its span.
    const injectedIn = (caseIncidents: readonly string[]): Set<string> => new Set(caseIncidents.flatMap((id) => {
      const incident = incidentsById.get(id);
      if (incident === undefined) return [];
      const at = Date.parse(incident.openedAt);
      return truth.filter((t) => at >= Date.parse(t.start) - WINDOW && at <= Date.parse(t.end) + AFTERMATH &&
        (t.entities.includes(incident.entity) || t.related.includes(incident.entity))).map((t) => t.kind);
    }));
    const byCase = report.cases.map((c) => ({ id: c.id, root: c.root, injected: [...injectedIn(c.incidents)] }));
    // Every case is exactly one injected incident...
    for (const c of byCase) expect(c.injected, `case ${c.id} (${c.root})`).toHaveLength(1);
    // ...and every injected incident is exactly one case.
    for (const t of truth) expect(byCase.filter((c) => c.injected.includes(t.kind)).map((c) => c.id), t.kind).toHaveLength(1);
    expect(report.cases).toHaveLength(truth.length);
    // Every incident is in a case, and names it.
    expect(report.incidents.every((i) => i.caseId !== undefined && report.cases.some((c) => c.id === i.caseId && c.incidents.includes(i.id)))).toBe(true);
    // The roots: the stuffing's source, the callee at the bottom of the error storm, the model under the latency storm.
    const rootOf = (kind: string): string | undefined => byCase.find((c) => c.injected.includes(kind))?.root;
    expect(rootOf('credential-stuffing')).toBe('principal:203.0.113.77');
    expect(rootOf('error-storm')).toBe('workload:ml-prod/feature-store');
    expect(rootOf('latency-storm')).toBe('model:ml-prod/fraud-detector@v3');
  });

  it('reports the lateral-movement quarantine of the exfiltrating pod as covered by the exfiltration run, not planned twice', () => {
    const pod = truth.find((i) => i.kind === 'exfiltration')?.entities.find((e) => e.startsWith('pod:'))?.slice('pod:'.length) ?? '?';
    const quarantines = report.actions.filter((a) => a.action === 'kubernetes.quarantine-pod' && a.target === `Pod ${pod}`);
    expect(quarantines.map((a) => [a.playbook, a.outcome])).toEqual([['quarantine-on-exfiltration', 'dry-run'], ['isolate-on-lateral-movement', 'covered']]);
    expect(quarantines[1]?.description).toMatch(/^covered by run quarantine-on-exfiltration\|[0-9a-f]{16} \(quarantine-on-exfiltration\)/);
  });

  it('writes a report the published schema describes (schemas/run-report.v1.json is generated from it)', () => {
    const written: unknown = JSON.parse(JSON.stringify(report));
    const checked = runReportSchema.safeParse(written);
    expect(checked.error?.issues.slice(0, 5) ?? []).toEqual([]);
    expect(checked.data?.cases).toHaveLength(report.cases.length);
  });

  it('leaves an intact audit ledger behind', async () => {
    expect(await verifyLedger(join(stateDir, 'audit'))).toMatchObject({ ok: true });
  });
});
