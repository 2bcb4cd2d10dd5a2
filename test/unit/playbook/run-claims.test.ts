import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryRunClaims, type RunClaims } from '../../../src/coordination/run-claims.js';
import { playbookSchema } from '../../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { MemoryRunStore, type PlaybookRun } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { countingActions } from './fixtures/counting-actions.js';
import { crashRun } from './fixtures/crash-scenario.js';

const MIN = 60_000;
const spec = playbookSchema.parse({
  apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'contain' },
  spec: {
    trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] }, cooldown: '1h',
    steps: [
      { name: 'isolate', action: 'kubernetes.quarantine-pod', params: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}' } },
      { name: 'restart', action: 'kubernetes.restart-deployment', params: { namespace: 'ml-prod', deployment: 'inference' } },
    ],
  },
});

/** A run of `contain` for incident `incident` on the pod `pod` (same pod = same entity). */
function run(incident: string, pod = 'inference-abc12-xyz89'): PlaybookRun {
  const base = crashRun();
  return { ...base, id: `contain|${incident}`, incidentId: incident, anomaly: { ...base.anomaly, entity: { ...base.anomaly.entity, pod, name: pod, key: `pod:ml-prod/${pod}` } } };
}

/** One replica: its own run store and ledger, the shared claims and the shared effects file. */
function replica(claims: RunClaims, effects: string, clock: ManualClock) {
  const ledger: { type: string; data: Record<string, unknown> }[] = [];
  const store = new MemoryRunStore();
  const executor = new RunExecutor({
    playbooks: new Map([['contain', spec]]), guard: new SafetyGuard(DEFAULT_SAFETY_POLICY), store,
    ledger: { append: (type, data) => ledger.push({ type, data: data as Record<string, unknown> }), flush: () => Promise.resolve() },
    actionDeps: { clock, logger: silentLogger() }, findAction: countingActions(effects),
    claims: { store: claims, holdAtLeastMs: 30 * MIN },
  });
  return { executor, store, ledger };
}

function setup() {
  const effects = join(mkdtempSync(join(tmpdir(), 'meshwarden-claims-')), 'effects');
  const clock = new ManualClock(Date.UTC(2026, 10, 2, 8));
  const claims = new MemoryRunClaims(clock);
  const effectKeys = (): string[] => (existsSync(effects) ? readFileSync(effects, 'utf8').split('\n').filter(Boolean) : []);
  return { effects, clock, claims, effectKeys };
}

describe('RunExecutor with run claims', () => {
  it('lets one of two replicas act when both open an incident on the same entity; the other stands down, recorded once', async () => {
    const { effects, clock, claims, effectKeys } = setup();
    const a = replica(claims, effects, clock);
    const b = replica(claims, effects, clock);
    await Promise.all([a.executor.start(run('from-telemetry')), b.executor.start(run('from-drift'))]);

    expect(effectKeys()).toEqual(['contain/from-telemetry/0', 'contain/from-telemetry/1']);
    const stoodDown = await b.store.get('contain|from-drift');
    expect(stoodDown?.state).toBe('done');
    expect(stoodDown?.results.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
    expect(stoodDown?.results[0]?.description).toMatch(/^not run: run contain\|from-telemetry acts on pod:ml-prod\/inference-abc12-xyz89 \(memory, held until /);
    expect(b.ledger).toHaveLength(1);
    expect(b.ledger[0]).toMatchObject({ type: 'decision', data: { event: 'claimed-elsewhere', runId: 'contain|from-drift', holder: 'contain|from-telemetry', key: 'contain|pod:ml-prod/inference-abc12-xyz89' } });
    expect(a.ledger.filter((l) => l.type === 'action').map((l) => l.data.outcome)).toEqual(['succeeded', 'succeeded']);
  });

  it('lets the same run carry on when it is replayed on another replica (its claim is its own)', async () => {
    const { effects, clock, claims, effectKeys } = setup();
    await replica(claims, effects, clock).executor.start(run('inc-1'));
    // The partition moved: the other replica replays the anomaly and starts the same run id.
    const other = replica(claims, effects, clock);
    await other.executor.start(run('inc-1'));
    expect((await other.store.get('contain|inc-1'))?.results.map((r) => r.outcome)).toEqual(['already-done', 'already-done']);
    expect(effectKeys()).toEqual(['contain/inc-1/0', 'contain/inc-1/1']);
  });

  it('holds a claim for the playbook cooldown at least, then lets a new incident act again', async () => {
    const { effects, clock, claims, effectKeys } = setup();
    const a = replica(claims, effects, clock);
    await a.executor.start(run('first'));
    clock.advance(59 * MIN);
    await a.executor.start(run('second'));
    expect((await a.store.get('contain|second'))?.results.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
    clock.advance(2 * MIN);
    await a.executor.start(run('third'));
    expect(effectKeys()).toEqual(['contain/first/0', 'contain/first/1', 'contain/third/0', 'contain/third/1']);
  });

  it('does not contend across entities: another pod is acted on at once', async () => {
    const { effects, clock, claims, effectKeys } = setup();
    await replica(claims, effects, clock).executor.start(run('a', 'inference-abc12-xyz89'));
    await replica(claims, effects, clock).executor.start(run('b', 'inference-abc12-qqq11'));
    expect(effectKeys()).toEqual(['contain/a/0', 'contain/a/1', 'contain/b/0', 'contain/b/1']);
  });

  it('claims before acting when a run saved before its claim (a crash in between) is resumed, and stands down if another run holds it', async () => {
    const { effects, clock, claims, effectKeys } = setup();
    const a = replica(claims, effects, clock);
    await a.executor.start(run('first'));
    // Another replica had saved its run for the same entity and died before claiming it.
    const b = replica(claims, effects, clock);
    await b.store.save(run('crashed'));
    await b.executor.resume();
    expect(effectKeys()).toEqual(['contain/first/0', 'contain/first/1']);
    expect((await b.store.get('contain|crashed'))?.results.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
    expect(b.ledger.map((l) => [l.type, l.data.event, l.data.holder])).toEqual([['decision', 'claimed-elsewhere', 'contain|first']]);
  });

  it('claims before acting when the anomaly of a run saved before its claim is replayed', async () => {
    const { effects, clock, claims, effectKeys } = setup();
    await replica(claims, effects, clock).executor.start(run('first'));
    const b = replica(claims, effects, clock);
    await b.store.save(run('crashed'));
    await b.executor.start(run('crashed'));
    expect(effectKeys()).toEqual(['contain/first/0', 'contain/first/1']);
    expect((await b.store.get('contain|crashed'))?.state).toBe('done');
  });

  it('resumes a run saved before its claim when the entity is free: it claims and acts once', async () => {
    const { effects, clock, claims, effectKeys } = setup();
    const b = replica(claims, effects, clock);
    await b.store.save(run('crashed'));
    await b.executor.resume();
    expect(effectKeys()).toEqual(['contain/crashed/0', 'contain/crashed/1']);
  });

  it('fails closed and says so when the claim store cannot answer: nothing acts, the failure is a ledger record', async () => {
    const { effects, clock, effectKeys } = setup();
    const down: RunClaims = { claim: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6443')), releaseHeldBy: () => Promise.resolve(0), releaseWhere: () => Promise.resolve(0), sweep: () => Promise.resolve(0) };
    const a = replica(down, effects, clock);
    await a.executor.start(run('inc-1'));
    expect(effectKeys()).toEqual([]);
    const saved = await a.store.get('contain|inc-1');
    expect(saved?.state).toBe('aborted');
    expect(saved?.results.map((r) => [r.step, r.outcome, r.target])).toEqual([['isolate', 'failed', 'Pod ml-prod/inference-abc12-xyz89'], ['restart', 'skipped', '-']]);
    expect(saved?.results[0]?.description).toBe('could not claim contain|pod:ml-prod/inference-abc12-xyz89, so no replica can be sure it acts alone: connect ECONNREFUSED 127.0.0.1:6443');
    expect(a.ledger.map((l) => [l.type, l.data.outcome])).toEqual([['action', 'failed'], ['action', 'skipped']]);
  });
});

describe('MemoryRunClaims', () => {
  it('gives a free key to the first holder, answers the holder to everyone else until it lapses, and sweeps lapsed claims', async () => {
    const clock = new ManualClock(0);
    const claims = new MemoryRunClaims(clock);
    expect(await claims.claim('k', 'run-1', 10_000)).toEqual({ won: true, holder: 'run-1', until: 10_000, where: 'memory' });
    expect(await claims.claim('k', 'run-2', 10_000)).toEqual({ won: false, holder: 'run-1', until: 10_000, where: 'memory' });
    expect(await claims.claim('k', 'run-1', 10_000)).toMatchObject({ won: true, until: 10_000 });
    clock.advance(10_000);
    expect(await claims.sweep()).toBe(1);
    expect(await claims.claim('k', 'run-2', 10_000)).toEqual({ won: true, holder: 'run-2', until: 20_000, where: 'memory' });
  });
});
