/**
 * The second scenario: the assistant mesh (scripts/scenarios/assistant-mesh), built apart from
 * the bundled recording and never used to choose a detector setting. It holds the shipped
 * detectors and playbooks to incidents of other shapes on another topology.
 *
 * `it.fails` marks what the engine does not do yet, each with what it does instead: such a test
 * passes while the gap is there and fails the day it closes, so the gap cannot close unnoticed and
 * the marker must then go.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEmbedded, type RunReport } from '../../src/embedded/run-embedded.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { DEFAULT_ASSISTANT_OPTIONS, generateAssistantMesh, type AssistantTruth } from '../../scripts/scenarios/assistant-mesh/assistant-generator.js';
import type { ScenarioIncident } from '../../scripts/scenarios/assistant-mesh/assistant-schedule.js';

const WINDOW = 60_000;
/** An incident's aftermath (the last anomalous window, straggling effects) still belongs to it. */
const AFTERMATH = 10 * WINDOW;

let report: RunReport;
let truth: AssistantTruth;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-assistant-'));
  const input = join(dir, 'mesh.ndjson');
  const fd = openSync(input, 'w');
  try {
    truth = generateAssistantMesh(DEFAULT_ASSISTANT_OPTIONS, (chunk) => { writeSync(fd, chunk); }).truth;
  } finally {
    closeSync(fd);
  }
  report = await runEmbedded(
    { input, configPaths: ['detectors', 'playbooks'], stateDir: join(dir, 'state') },
    { clock: new ManualClock(Date.UTC(2026, 10, 9)), logger: silentLogger() },
  );
}, 600_000);

function incident(kind: string): ScenarioIncident {
  const found = truth.incidents.find((i) => i.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} incident in the ground truth`);
  return found;
}

/** Milliseconds from the incident's start to the first anomalous window on one of its entities. */
function detectionDelay(x: ScenarioIncident): number {
  const start = Date.parse(x.start);
  const first = report.anomalies
    .filter((a) => x.flagOneOf.includes(a.entity) && Date.parse(a.windowEnd) > start && Date.parse(a.windowStart) < Date.parse(x.end))
    .map((a) => Date.parse(a.windowStart))
    .sort((a, b) => a - b)[0];
  return first === undefined ? Number.POSITIVE_INFINITY : first - start;
}

/** Playbooks that acted (dry-run) on anomalies of the incident's span. */
function respondingPlaybooks(x: ScenarioIncident): string[] {
  const from = Date.parse(x.start);
  const to = Date.parse(x.end) + AFTERMATH;
  return [...new Set(report.actions.filter((a) => a.outcome === 'dry-run' && Date.parse(a.at) >= from && Date.parse(a.at) <= to).map((a) => a.playbook))];
}

/** Whether an anomaly reports a rollout's change (its evidence names the rollout) rather than an alarm. */
function isChange(a: RunReport['anomalies'][number]): boolean {
  return a.evidence.some((e) => e.details?.some((d) => d.startsWith('rollout: ')) === true);
}

/** Alarms (anomalies that are not a rollout's change) outside every injected incident's span and cascade. */
function strays(): string[] {
  return report.anomalies
    .filter((a) => {
      if (isChange(a)) return false;
      const at = Date.parse(a.windowStart);
      return !truth.incidents.some((x) =>
        at >= Date.parse(x.start) - WINDOW && at <= Date.parse(x.end) + AFTERMATH && (x.flagOneOf.includes(a.entity) || x.related.includes(a.entity)));
    })
    .map((a) => `${a.windowStart} ${a.detector} ${a.entity}`);
}

describe('the engine on the assistant mesh (a second, independent scenario)', () => {
  it('matches the ground truth shipped in examples/assistant-mesh', () => {
    const shipped = JSON.parse(readFileSync('examples/assistant-mesh/incidents.json', 'utf8')) as unknown;
    expect(shipped).toEqual(JSON.parse(JSON.stringify(truth)));
  });

  it('reads every record of four shippers\' envelopes without a dead letter', () => {
    expect(report.records).toBe(report.parsed + report.deadLettered);
    expect(report.deadLettered).toBe(0);
    expect(report.parsed).toBeGreaterThan(150_000);
  });

  it('sees the slow exfiltration on the pod at its first upload and would quarantine it', () => {
    const x = incident('slow-exfiltration');
    expect(detectionDelay(x)).toBeLessThanOrEqual(2 * WINDOW);
    expect(respondingPlaybooks(x)).toEqual(expect.arrayContaining(['isolate-on-lateral-movement']));
    const pod = x.flagOneOf[0]?.slice('pod:'.length) ?? '?';
    expect(report.actions).toContainEqual(expect.objectContaining({ action: 'kubernetes.quarantine-pod', target: `Pod ${pod}`, outcome: 'dry-run' }));
  });

  it('sees the credential stuffing spread over twenty low-rate sources within two windows and starts the rotation playbook', () => {
    const x = incident('distributed-credential-stuffing');
    expect(detectionDelay(x)).toBeLessThanOrEqual(2 * WINDOW);
    expect(respondingPlaybooks(x)).toEqual(expect.arrayContaining([...x.playbooks]));
  });

  it('rotates no credential it was not told of: with no install values, the rotation is refused with where to set them, and the alert goes out', () => {
    // The shipped playbook names no site's secret; this mesh's install set none (no playbookVars),
    // and nothing in a gateway's anomaly says where its auth service keeps its key.
    const runs = report.actions.filter((a) => a.playbook === 'rotate-credentials-on-stuffing');
    expect(runs.some((a) => a.action === 'slack.notify' && a.outcome === 'dry-run')).toBe(true);
    const rotations = runs.filter((a) => a.action === 'vault.rotate-secret');
    expect(rotations.length).toBeGreaterThan(0);
    for (const step of rotations) {
      expect(step).toMatchObject({ outcome: 'refused', target: '-' });
      expect(step.description).toContain('vars.sessionSecretPath has no default and this install sets none');
      expect(step.description).toContain('playbookVars.rotate-credentials-on-stuffing.sessionSecretPath');
    }
    expect(runs.filter((a) => a.action === 'kubernetes.restart-deployment' && a.outcome !== 'skipped')).toEqual([]);
    expect(runs.filter((a) => a.target.includes('ml-prod'))).toEqual([]);
  });

  it('sees the vector-db outage at weekend-evening volume within two windows and pages the owners', () => {
    // About one request a minute, under every per-window minimum: the outage shows only as
    // failures that add up across windows (error-regression, a Bernoulli CUSUM on the 5xx share).
    const x = incident('dependency-outage');
    expect(detectionDelay(x)).toBeLessThanOrEqual(2 * WINDOW);
    expect(respondingPlaybooks(x)).toEqual(expect.arrayContaining([...x.playbooks]));
    const first = report.anomalies.find((a) => a.detector === 'error-regression' && x.flagOneOf.includes(a.entity));
    expect(first?.evidence[0]).toMatchObject({ feature: 'ratio_5xx', expected: 0.01 });
  });

  it('sees the latency regression after the embedder rollout within ten minutes, on its third slow request, and pages the owners', () => {
    // The embedder serves one or two requests a minute at that hour: the first slow one lands in
    // the regression's third window, and the CUSUM on log(p50 / baseline) needs three of them.
    const x = incident('latency-regression');
    expect(detectionDelay(x)).toBeLessThanOrEqual(10 * WINDOW);
    expect(respondingPlaybooks(x)).toEqual(expect.arrayContaining([...x.playbooks]));
    const first = report.anomalies.find((a) => a.detector === 'latency-regression' && a.entity === 'workload:assist/embedder');
    expect(first?.evidence[0]?.feature).toBe('latency_p50');
  });

  it.fails('sees the latency regression within two windows of the rollout (today: about 5 minutes in; the first slow request comes in the third window, and one slow request alone is never a regression)', () => {
    expect(detectionDelay(incident('latency-regression'))).toBeLessThanOrEqual(2 * WINDOW);
  });

  it('sees the reranker canary, 2.2 times slower than the stable version beside it at a tenth of the queries, in its first window, and asks to roll it back', () => {
    // No baseline of its own: each window of r6 is judged against r5's in the same window.
    const x = incident('canary-regression');
    expect(detectionDelay(x)).toBeLessThanOrEqual(2 * WINDOW);
    expect(respondingPlaybooks(x)).toEqual(expect.arrayContaining([...x.playbooks]));
    const first = report.anomalies.find((a) => a.detector === 'model-canary-regression');
    expect(first?.entity).toBe('model:assist/passage-reranker@r6');
    expect(first?.evidence[0]?.details?.[0]).toMatch(/^r6 p95 [\d.]+ ms vs stable r5 [\d.]+ ms in the same window, \d+ vs \d+ inferences$/);
    expect(report.actions).toContainEqual(expect.objectContaining({
      playbook: 'model-rollback', action: 'kubernetes.rollback-deployment', target: 'Deployment assist/passage-reranker-predictor', outcome: 'dry-run',
    }));
  });

  it('raises nothing on the reranker canary that is as good as its stable version, nor on the stable version', () => {
    const benign = truth.benign.find((b) => b.kind === 'canary');
    expect(benign).toBeDefined();
    expect(report.anomalies.filter((a) => a.entity.startsWith('model:assist/passage-reranker@') && a.entity !== 'model:assist/passage-reranker@r6')).toEqual([]);
  });

  it('raises nothing on the benign days but the llm-router rollout\'s new edge', () => {
    expect(strays().filter((s) => !/new-callee-edges pod:assist\/llm-router-/.test(s))).toEqual([]);
  });

  it('reports the llm-router rollout\'s new edge as a change, not an intrusion', () => {
    expect(strays()).toEqual([]);
    const changes = report.anomalies.filter(isChange);
    expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) {
      expect(change).toMatchObject({ detector: 'rollout-new-edges', severity: 'low' });
      expect(change.entity).toMatch(/^pod:assist\/llm-router-/);
      expect(change.evidence.flatMap((e) => e.details ?? [])).toEqual(expect.arrayContaining([
        'assist/llm-router -> prompt-cache.assist', expect.stringMatching(/^rollout: llm-router \S+ -> \S+$/),
      ]));
    }
    // No playbook acted on a change: no quarantine request, no approval asked.
    const changeIds = new Set(changes.map((c) => c.id));
    expect(report.actions.filter((a) => changeIds.has(a.anomalyId))).toEqual([]);
  });
});
