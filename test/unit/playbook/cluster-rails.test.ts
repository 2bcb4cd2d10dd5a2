import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterRails } from '../../../src/coordination/cluster-rails.js';
import { MemoryRunClaims, type RunClaims } from '../../../src/coordination/run-claims.js';
import { playbookSchema, type PlaybookSpec } from '../../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { MemoryRunStore, type PlaybookRun } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type SafetyPolicy } from '../../../src/playbook/safety-guard.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { countingActions } from './fixtures/counting-actions.js';
import { crashRun } from './fixtures/crash-scenario.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function playbook(name: string, action: string): PlaybookSpec {
  return playbookSchema.parse({
    apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name },
    spec: { trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] }, steps: [{ name: 'act', action, params: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}' } }] },
  });
}
const isolate = playbook('isolate', 'kubernetes.quarantine-pod');
const release = playbook('release', 'kubernetes.release-pod');

/** A run of `spec` on pod `pod` of workload `inference` in ml-prod. */
function run(spec: PlaybookSpec, incident: string, pod: string): PlaybookRun {
  const base = crashRun();
  return {
    ...base, id: `${spec.metadata.name}|${incident}`, playbook: spec.metadata.name, incidentId: incident,
    anomaly: { ...base.anomaly, entity: { ...base.anomaly.entity, pod, name: pod, workload: 'inference', key: `pod:ml-prod/${pod}` } },
  };
}

/** One replica: its own local guard and store, the shared claims. */
function replica(claims: RunClaims, policy: SafetyPolicy, clock: ManualClock, effects: string) {
  const store = new MemoryRunStore();
  const executor = new RunExecutor({
    playbooks: new Map([[isolate.metadata.name, isolate], [release.metadata.name, release]]), guard: new SafetyGuard(policy), store,
    ledger: { append: () => undefined, flush: () => Promise.resolve() },
    actionDeps: { clock, logger: silentLogger() }, findAction: countingActions(effects),
    clusterRails: new ClusterRails(claims, policy, 7 * DAY),
  });
  const outcome = async (r: PlaybookRun): Promise<[string, string] | undefined> => {
    await executor.start(r);
    const result = (await store.get(r.id))?.results[0];
    return result ? [result.outcome, result.description] : undefined;
  };
  return { outcome };
}

function setup(policy: SafetyPolicy = DEFAULT_SAFETY_POLICY) {
  const clock = new ManualClock(Date.UTC(2026, 10, 2, 8));
  const claims = new MemoryRunClaims(clock);
  const effects = join(mkdtempSync(join(tmpdir(), 'meshwarden-rails-')), 'effects');
  return { clock, a: replica(claims, policy, clock, effects), b: replica(claims, policy, clock, effects) };
}

describe('safety rails counted across replicas', () => {
  it('keeps the blast radius of one workload at its budget when its pods are flagged on two replicas', async () => {
    const { a, b } = setup();
    expect((await a.outcome(run(isolate, 'i1', 'inference-abc12-aaaaa')))?.[0]).toBe('succeeded');
    expect(await b.outcome(run(isolate, 'i2', 'inference-abc12-bbbbb'))).toEqual(['refused', 'blast radius across replicas: 1 pod(s) of ml-prod/inference already quarantined (budget 1)']);
  });

  it('keeps a target cooling down across replicas: another replica\'s incident on the same pod does not act on it again', async () => {
    const { a, b, clock } = setup();
    const start = clock.now();
    expect((await a.outcome(run(isolate, 'i1', 'inference-abc12-aaaaa')))?.[0]).toBe('succeeded');
    expect(await b.outcome(run(isolate, 'i2', 'inference-abc12-aaaaa'))).toEqual([
      'refused', `cooldown across replicas: pod ml-prod/inference-abc12-aaaaa was acted on with kubernetes.quarantine-pod by isolate|i1/0; the same action may not touch it again before ${new Date(start + 30 * MIN).toISOString()}`,
    ]);
    clock.advance(31 * MIN);
    expect((await b.outcome(run(isolate, 'i3', 'inference-abc12-aaaaa')))?.[0]).toBe('succeeded');
  });

  it('frees the slot when the quarantined pod is released, so the budget can be used again', async () => {
    const { a, b } = setup();
    await a.outcome(run(isolate, 'i1', 'inference-abc12-aaaaa'));
    expect((await a.outcome(run(release, 'r1', 'inference-abc12-aaaaa')))?.[0]).toBe('succeeded');
    expect((await b.outcome(run(isolate, 'i2', 'inference-abc12-bbbbb')))?.[0]).toBe('succeeded');
  });

  it('frees the slot of a pod released outside a step (the expiry sweeper), and the local budget with it', async () => {
    const clock = new ManualClock(0);
    const claims = new MemoryRunClaims(clock);
    const rails = new ClusterRails(claims, DEFAULT_SAFETY_POLICY, 7 * DAY);
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    const quarantine = { action: { id: 'kubernetes.quarantine-pod', destructive: true }, target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-abc12-aaaaa' }, workload: 'inference', detector: 'egress-spike' } as unknown as Parameters<ClusterRails['book']>[0];
    const next = { ...quarantine, target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-abc12-bbbbb' } };
    expect(await rails.book(quarantine, 'isolate|i1/0')).toEqual({ allowed: true });
    guard.record(quarantine, 0);
    expect((await rails.book(next, 'isolate|i2/0')).allowed).toBe(false);
    expect(guard.check(next, 0).allowed).toBe(false);
    await rails.podReleased('ml-prod', 'inference-abc12-aaaaa');
    guard.forgetQuarantine('ml-prod', 'inference-abc12-aaaaa');
    expect(await rails.book(next, 'isolate|i2/0')).toEqual({ allowed: true });
    expect(guard.check(next, 0)).toEqual({ allowed: true });
  });

  it('holds a rate limit across replicas for its window, then lets actions through again', async () => {
    const policy: SafetyPolicy = {
      ...DEFAULT_SAFETY_POLICY,
      rateLimits: { ...DEFAULT_SAFETY_POLICY.rateLimits, perNamespace: { count: 2, windowMs: 60 * MIN } },
      blastRadius: { maxQuarantinedPerWorkload: 10, maxQuarantinedPerNamespace: 10 },
    };
    const { a, b, clock } = setup(policy);
    expect((await a.outcome(run(isolate, 'i1', 'inference-abc12-aaaaa')))?.[0]).toBe('succeeded');
    expect((await b.outcome(run(isolate, 'i2', 'inference-abc12-bbbbb')))?.[0]).toBe('succeeded');
    expect(await a.outcome(run(isolate, 'i3', 'inference-abc12-ccccc'))).toEqual(['refused', 'rate limit across replicas: 2 action(s) on namespace ml-prod in the last 1h (limit 2)']);
    clock.advance(61 * MIN);
    expect((await b.outcome(run(isolate, 'i4', 'inference-abc12-ddddd')))?.[0]).toBe('succeeded');
  });

  it('gives back the rate-limit slots of a step another limit refused, so they do not crowd out later steps', async () => {
    const policy: SafetyPolicy = {
      ...DEFAULT_SAFETY_POLICY,
      rateLimits: { ...DEFAULT_SAFETY_POLICY.rateLimits, perNamespace: { count: 2, windowMs: 60 * MIN } },
      blastRadius: { maxQuarantinedPerWorkload: 1, maxQuarantinedPerNamespace: 10 },
    };
    const { a, b } = setup(policy);
    expect((await a.outcome(run(isolate, 'i1', 'inference-abc12-aaaaa')))?.[0]).toBe('succeeded');
    // Refused by the workload's blast radius after taking a namespace rate slot.
    expect((await b.outcome(run(isolate, 'i2', 'inference-abc12-bbbbb')))?.[0]).toBe('refused');
    // A pod of another workload: the namespace's second slot is free again.
    const other = run(isolate, 'i3', 'feature-store-abc12-ccccc');
    const otherRun = { ...other, anomaly: { ...other.anomaly, entity: { ...other.anomaly.entity, workload: 'feature-store' } } };
    expect(await b.outcome(otherRun)).toEqual(['succeeded', expect.any(String)]);
  });

  it('lets the same quarantine replayed on another replica through (its pod holds its own slot)', async () => {
    const { a, b } = setup();
    await a.outcome(run(isolate, 'i1', 'inference-abc12-aaaaa'));
    expect((await b.outcome(run(isolate, 'i1', 'inference-abc12-aaaaa')))?.[0]).toBe('already-done');
  });

  it('does not act when the counts cannot be read: the step fails, saying why', async () => {
    const clock = new ManualClock(0);
    const down: RunClaims = { claim: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6443')), releaseHeldBy: () => Promise.resolve(0), releaseWhere: () => Promise.resolve(0), sweep: () => Promise.resolve(0) };
    const r = replica(down, DEFAULT_SAFETY_POLICY, clock, join(mkdtempSync(join(tmpdir(), 'meshwarden-rails-')), 'effects'));
    expect(await r.outcome(run(isolate, 'i1', 'inference-abc12-aaaaa'))).toEqual(['failed', 'could not count this step against the limits across replicas, so it does not run: connect ECONNREFUSED 127.0.0.1:6443']);
  });
});
