import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { PlaybookEngine } from '../../../src/playbook/playbook-engine.js';
import { playbookSchema, type PlaybookSpec } from '../../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { MemoryRunStore, type StepResult } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { IncidentTracker } from '../../../src/triage/incident-tracker.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 3, 10, 0);

function playbook(spec: Record<string, unknown>, name = 'contain'): PlaybookSpec {
  return playbookSchema.parse({ apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name }, spec });
}

function anomaly(minute: number, overrides: Partial<Anomaly> = {}): Anomaly {
  return {
    id: `a${minute}`, detector: 'egress-spike', severity: 'critical', score: 0.99,
    entity: { key: 'pod:ml-prod/inference-abc12-xyz89', kind: 'pod', namespace: 'ml-prod', name: 'inference-abc12-xyz89', pod: 'inference-abc12-xyz89', workload: 'inference', labels: { app: 'inference' } },
    windowStart: T0 + minute * MIN, windowEnd: T0 + (minute + 1) * MIN,
    evidence: [{ feature: 'egress_bytes', observed: 9e7, expected: 1e4, spread: 1e3, score: 0.99 }],
    ...overrides,
  };
}

const quarantine = {
  trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] },
  steps: [
    { name: 'isolate', action: 'kubernetes.quarantine-pod', params: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}' } },
    { action: 'slack.notify', params: { channel: '#soc', text: 'isolated {{ entity.pod }}' }, onError: 'continue' },
  ],
};

/** Matches anomalies and executes the resulting runs in dry-run, as the pipeline does. */
function harness(playbooks: PlaybookSpec[], protectedNamespaces: string[] = [], dryRun = true) {
  const engine = new PlaybookEngine(playbooks, { dryRun });
  const guard = new SafetyGuard({ ...DEFAULT_SAFETY_POLICY, protectedNamespaces });
  const executor = new RunExecutor({
    playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard, store: new MemoryRunStore(),
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
    actionDeps: { clock: new ManualClock(T0), logger: silentLogger() },
  });
  const tracker = new IncidentTracker(10 * MIN);
  return (anomalies: Anomaly[]) =>
    anomalies.map((a) => {
      const { decisions, runs } = engine.handle(a, tracker.observe(a).incident);
      const actions: StepResult[] = runs.flatMap((r) => (r.dryRun ? executor.dryRun(r) : []));
      return { decisions, runs, actions };
    });
}

describe('PlaybookEngine', () => {
  it('describes each step against exactly the offending pod in dry-run', () => {
    const [result] = harness([playbook(quarantine)])([anomaly(0)]);
    expect(result?.actions.map((a) => [a.step, a.outcome, a.target])).toEqual([
      ['isolate', 'dry-run', 'Pod ml-prod/inference-abc12-xyz89'],
      ['slack.notify', 'dry-run', 'SlackChannel #soc'],
    ]);
    expect(result?.actions[0]?.description).toContain('would label pod ml-prod/inference-abc12-xyz89 meshwarden.io/quarantine=true');
  });

  it('runs a playbook once per incident, not once per anomalous window', () => {
    const results = harness([playbook(quarantine)])([anomaly(0), anomaly(1), anomaly(2)]);
    expect(results.map((r) => r.actions.length)).toEqual([2, 0, 0]);
  });

  it('waits until the incident has lasted the trigger\'s "for" duration', () => {
    const results = harness([playbook({ ...quarantine, trigger: { ...quarantine.trigger, for: '3m' } })])([anomaly(0), anomaly(1), anomaly(2)]);
    expect(results.map((r) => r.actions.length)).toEqual([0, 0, 2]);
    expect(results[0]?.decisions[0]?.reason).toContain('waiting');
  });

  it('leaves a target alone during the cooldown, even in a new incident', () => {
    const results = harness([playbook({ ...quarantine, cooldown: '1h' })])([anomaly(0), anomaly(30), anomaly(70)]);
    expect(results.map((r) => r.actions.length)).toEqual([2, 0, 2]);
    expect(results[1]?.decisions[0]).toMatchObject({ run: false, reason: expect.stringContaining('cooldown') as unknown });
  });

  it('refuses to act in a protected namespace and skips the rest when the step aborts', () => {
    const [result] = harness([playbook(quarantine)], ['ml-prod'])([anomaly(0)]);
    expect(result?.actions.map((a) => a.outcome)).toEqual(['refused', 'skipped']);
    expect(result?.actions[0]?.description).toContain('namespace ml-prod is protected');
  });

  it('matches on labels, namespaces, minimum score and evidence conditions', () => {
    const strict = playbook({
      ...quarantine,
      trigger: { ...quarantine.trigger, labels: { app: 'inference' }, namespaces: ['ml-prod'], minScore: 0.95 },
      conditions: [{ feature: 'egress_bytes', above: 1e6 }],
    });
    const run = harness([strict]);
    const fire = (a: Anomaly) => run([a])[0]?.actions.length;
    expect(fire(anomaly(0, { score: 0.9 }))).toBe(0);
    expect(fire(anomaly(100, { evidence: [{ feature: 'egress_bytes', observed: 10, expected: 1, spread: 1, score: 0.99 }] }))).toBe(0);
    expect(fire(anomaly(200, { entity: { ...anomaly(0).entity, key: 'pod:ml-prod/other-abc12-xyz89', labels: { app: 'frontend' } } }))).toBe(0);
    expect(fire(anomaly(300))).toBe(2);
  });

  it('fails a step whose template has no value at run time, and continues as the step says', () => {
    // Loading rejects templates an entity kind cannot fill; this guards anomalies that still lack one.
    const pb = playbook({
      trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] },
      steps: [
        { action: 'slack.notify', params: { channel: '#soc', text: 'workload {{ entity.workload }}' }, onError: 'continue' },
        { action: 'kubernetes.restart-deployment', params: { namespace: 'ml-prod', deployment: 'inference' } },
      ],
    });
    const { workload: _dropped, ...entity } = anomaly(0).entity;
    const [result] = harness([pb])([anomaly(0, { entity })]);
    expect(result?.actions.map((a) => a.outcome)).toEqual(['failed', 'dry-run']);
    expect(result?.actions[0]?.description).toBe('no value for {{ entity.workload }} on pod:ml-prod/inference-abc12-xyz89');
  });

  it('hands live runs to the executor instead of describing them', () => {
    const [result] = harness([playbook(quarantine)], [], false)([anomaly(0)]);
    expect(result?.actions).toEqual([]);
    expect(result?.runs.map((r) => [r.playbook, r.dryRun, r.state, r.next])).toEqual([['contain', false, 'running', 0]]);
  });

  it('honours a playbook-level dry-run even when the engine acts for real', () => {
    const [result] = harness([playbook({ ...quarantine, dryRun: true })], [], false)([anomaly(0)]);
    expect(result?.actions.map((a) => a.outcome)).toEqual(['dry-run', 'dry-run']);
  });
});
