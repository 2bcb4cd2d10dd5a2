import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApprovalGate, ApprovalRequest } from '../../../src/playbook/approval-gate.js';
import { playbookSchema, type PlaybookSpec } from '../../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { FileRunStore, MemoryRunStore, type PlaybookRun } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type SafetyPolicy } from '../../../src/playbook/safety-guard.js';
import type { Entity } from '../../../src/features/entity.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { countingActions } from './fixtures/counting-actions.js';
import { buildExecutor, crashRun } from './fixtures/crash-scenario.js';

function playbook(steps: unknown[]): PlaybookSpec {
  return playbookSchema.parse({ apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'contain' }, spec: { trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] }, steps } });
}

const isolate = { name: 'isolate', action: 'kubernetes.quarantine-pod', params: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}' } };
const restart = { name: 'restart', action: 'kubernetes.restart-deployment', params: { namespace: 'ml-prod', deployment: 'inference' } };
const approve = { name: 'approve', action: 'slack.approval', params: { channel: '#soc', approvers: { users: ['U0SOC1'] }, timeout: '10m' } };

function newRun(id = 'inc-1', pod = 'inference-abc12-xyz89'): PlaybookRun {
  const run = crashRun();
  return { ...run, id: `contain|${id}`, incidentId: id, anomaly: { ...run.anomaly, entity: { ...run.anomaly.entity, pod, name: pod, key: `pod:ml-prod/${pod}` } } };
}

function setup(spec: PlaybookSpec, options: { policy?: SafetyPolicy; approvals?: ApprovalGate; failOn?: string } = {}) {
  const effects = join(mkdtempSync(join(tmpdir(), 'meshwarden-exec-')), 'effects');
  const ledger: { type: string; data: unknown }[] = [];
  const store = new MemoryRunStore();
  const clock = new ManualClock(1_000);
  const executor = new RunExecutor({
    playbooks: new Map([['contain', spec]]), guard: new SafetyGuard(options.policy ?? DEFAULT_SAFETY_POLICY), store,
    ledger: { append: (type, data) => ledger.push({ type, data }), flush: () => Promise.resolve() },
    actionDeps: { clock, logger: silentLogger() },
    findAction: countingActions(effects, options.failOn !== undefined ? { failOn: options.failOn } : {}),
    ...(options.approvals ? { approvals: options.approvals } : {}),
  });
  const effectKeys = (): string[] => (existsSync(effects) ? readFileSync(effects, 'utf8').split('\n').filter(Boolean) : []);
  return { executor, store, ledger, effectKeys, clock };
}

describe('RunExecutor (live)', () => {
  it('runs every step against its target with a stable idempotency key, recording each in the ledger', async () => {
    const { executor, store, ledger, effectKeys } = setup(playbook([isolate, restart]));
    await executor.start(newRun());
    expect(effectKeys()).toEqual(['contain/inc-1/0', 'contain/inc-1/1']);
    const saved = await store.get('contain|inc-1');
    expect(saved?.state).toBe('done');
    expect(saved?.results.map((r) => [r.step, r.outcome, r.target])).toEqual([['isolate', 'succeeded', 'Pod ml-prod/inference-abc12-xyz89'], ['restart', 'succeeded', 'Deployment ml-prod/inference']]);
    expect(ledger.filter((l) => l.type === 'action')).toHaveLength(2);
  });

  it('resumes after a SIGKILL between two steps without repeating the completed one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwarden-crash-'));
    const effects = join(dir, 'effects');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/unit/playbook/fixtures/crash-child.ts', dir, effects], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (!(existsSync(effects) && readFileSync(effects, 'utf8').includes('contain/inc-1/0')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Give the child time to persist the first step's completion before it dies mid-second-step.
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(readFileSync(effects, 'utf8').trim().split('\n')).toEqual(['contain/inc-1/0']);

    const store = new FileRunStore(join(dir, 'runs'));
    const [interrupted] = await store.unfinished();
    expect(interrupted).toMatchObject({ state: 'running', next: 1, inFlight: 1 });
    await buildExecutor(store, effects).resume();
    expect(readFileSync(effects, 'utf8').trim().split('\n')).toEqual(['contain/inc-1/0', 'contain/inc-1/1']);
    expect((await store.get('contain|inc-1'))?.state).toBe('done');
  }, 60_000);

  it('never starts a run again when the same anomaly is replayed: the finished record stays', async () => {
    const { executor, store, effectKeys } = setup(playbook([isolate, restart]));
    await executor.start(newRun());
    await executor.start(newRun());
    expect(effectKeys()).toEqual(['contain/inc-1/0', 'contain/inc-1/1']);
    expect((await store.get('contain|inc-1'))?.results.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']);
  });

  it('re-running an interrupted step is harmless: the action reports already-done', async () => {
    const { executor, store, effectKeys } = setup(playbook([isolate, restart]));
    await executor.start(newRun());
    const done = await store.get('contain|inc-1');
    if (!done) throw new Error('run not saved');
    await store.save({ ...done, state: 'running', next: 1, inFlight: 1, results: done.results.slice(0, 1) });
    await executor.resume();
    expect(effectKeys()).toEqual(['contain/inc-1/0', 'contain/inc-1/1']);
    expect((await store.get('contain|inc-1'))?.results.at(-1)?.outcome).toBe('already-done');
  });

  it('parks at an approval, shows the exact actions it gates, and runs them only once approved', async () => {
    const requests: ApprovalRequest[] = [];
    const approvals: ApprovalGate = { request: (r) => { requests.push(r); return Promise.resolve({ approvalId: 'ap-1', deadline: 601_000 }); } };
    const { executor, store, effectKeys } = setup(playbook([approve, isolate, restart]), { approvals });
    await executor.start(newRun());
    expect(effectKeys()).toEqual([]);
    expect((await store.get('contain|inc-1'))?.state).toBe('waiting');
    expect(requests[0]?.actions.map((a) => a.description)).toEqual(['kubernetes.quarantine-pod ml-prod/inference-abc12-xyz89', 'kubernetes.restart-deployment ml-prod/inference']);
    expect(requests[0]).toMatchObject({ channel: '#soc', required: 1, timeoutMs: 600_000, onTimeout: 'deny' });

    await executor.decide('contain|inc-1', 'ap-other', { approved: true, by: ['U0SOC1'], reason: 'approved' });
    expect(effectKeys()).toEqual([]);
    await executor.decide('contain|inc-1', 'ap-1', { approved: true, by: ['U0SOC1'], reason: 'approved' });
    expect(effectKeys()).toEqual(['contain/inc-1/1', 'contain/inc-1/2']);
    expect((await store.get('contain|inc-1'))?.results.map((r) => r.outcome)).toEqual(['approved', 'succeeded', 'succeeded']);
  });

  it('finishes a run parked on an approval with the playbook version it started with when the playbooks are reloaded; a new run uses the new version', async () => {
    const approvals: ApprovalGate = { request: () => Promise.resolve({ approvalId: 'ap-1', deadline: 601_000 }) };
    const { executor, store, effectKeys } = setup(playbook([approve, isolate, restart]), { approvals });
    await executor.start(newRun('inc-1'));
    expect((await store.get('contain|inc-1'))?.state).toBe('waiting');
    executor.usePlaybooks(new Map([['contain', playbook([approve, restart])]]));
    await executor.decide('contain|inc-1', 'ap-1', { approved: true, by: ['U0SOC1'], reason: 'approved' });
    expect((await store.get('contain|inc-1'))?.results.map((r) => r.step)).toEqual(['approve', 'isolate', 'restart']);
    await executor.start(newRun('inc-2', 'inference-abc12-other'));
    await executor.decide('contain|inc-2', 'ap-1', { approved: true, by: ['U0SOC1'], reason: 'approved' });
    // The new version has no isolate step (its restart is then held back by the deployment's cooldown).
    expect((await store.get('contain|inc-2'))?.results.map((r) => r.step)).toEqual(['approve', 'restart']);
    expect(effectKeys()).toEqual(['contain/inc-1/1', 'contain/inc-1/2']);
  });

  it('runs nothing gated when the approval is denied or times out', async () => {
    const approvals: ApprovalGate = { request: () => Promise.resolve({ approvalId: 'ap-1', deadline: 601_000 }) };
    const { executor, store, effectKeys } = setup(playbook([approve, isolate]), { approvals });
    await executor.start(newRun());
    await executor.decide('contain|inc-1', 'ap-1', { approved: false, by: [], reason: 'timed out after 10m (deny by default)' });
    expect(effectKeys()).toEqual([]);
    const run = await store.get('contain|inc-1');
    expect(run?.state).toBe('aborted');
    expect(run?.results.map((r) => r.outcome)).toEqual(['denied', 'skipped']);
  });

  it('denies by default when no approval channel is configured', async () => {
    const { executor, store, effectKeys } = setup(playbook([approve, isolate]));
    await executor.start(newRun());
    expect(effectKeys()).toEqual([]);
    expect((await store.get('contain|inc-1'))?.results.map((r) => r.outcome)).toEqual(['denied', 'skipped']);
  });

  it('records a failure with its reason and stops or continues as the step says', async () => {
    const { executor, store, effectKeys } = setup(playbook([{ ...isolate, onError: 'continue' }, restart]), { failOn: 'kubernetes.quarantine-pod' });
    await executor.start(newRun());
    expect(effectKeys()).toEqual(['contain/inc-1/1']);
    expect((await store.get('contain|inc-1'))?.results.map((r) => [r.outcome, r.reason])).toEqual([['failed', 'server'], ['succeeded', undefined]]);
  });
});

describe('safety rails', () => {
  it('refuses a second quarantine in the same workload (blast-radius budget) and records why', async () => {
    const { executor, store, ledger, effectKeys } = setup(playbook([isolate]));
    await executor.start(newRun('inc-1', 'inference-abc12-aaaaa'));
    await executor.start(newRun('inc-2', 'inference-abc12-bbbbb'));
    expect(effectKeys()).toEqual(['contain/inc-1/0']);
    expect((await store.get('contain|inc-2'))?.results[0]?.description).toContain('blast radius: 1 pod(s) of ml-prod/inference already quarantined');
    expect(ledger.some((l) => l.type === 'refusal')).toBe(true);
  });

  it('refuses actions that change something (a restart too) past the per-target rate limit', async () => {
    const policy = { ...DEFAULT_SAFETY_POLICY, rateLimits: { ...DEFAULT_SAFETY_POLICY.rateLimits, perTarget: { count: 2, windowMs: 3_600_000 } } };
    // A 1s cooldown, so the target's cooldown does not refuse the second run before the rate limit is reached.
    const spec = playbookSchema.parse({ apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name: 'contain' }, spec: { trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] }, cooldown: '1s', steps: [restart] } });
    const { executor, store, effectKeys, clock } = setup(spec, { policy });
    for (const id of ['inc-1', 'inc-2', 'inc-3']) {
      await executor.start(newRun(id));
      clock.advance(2_000);
    }
    expect(effectKeys()).toEqual(['contain/inc-1/0', 'contain/inc-2/0']);
    expect((await store.get('contain|inc-3'))?.results[0]?.description).toMatch(/^rate limit: 2 action\(s\) on Deployment inference/);
  });

  it('does not take the same action on the same target twice within the playbook cooldown, whatever entity triggered it: the step is covered by the run that took it', async () => {
    const { executor, store, ledger, effectKeys } = setup(playbook([restart]));
    await executor.start(newRun('inc-1', 'inference-abc12-aaaaa'));
    await executor.start(newRun('inc-2', 'inference-abc12-bbbbb'));
    expect(effectKeys()).toEqual(['contain/inc-1/0']);
    expect((await store.get('contain|inc-2'))?.results[0]).toMatchObject({
      outcome: 'covered', description: 'covered by run contain|inc-1 (contain), which took the same step on Deployment ml-prod/inference at 1970-01-01T00:00:01.000Z',
      details: { coveredBy: 'contain|inc-1' },
    });
    expect(ledger.filter((l) => l.type === 'decision' && (l.data as { outcome?: string }).outcome === 'covered')).toHaveLength(1);
  });

  it('never targets a protected namespace', async () => {
    const { executor, store, effectKeys } = setup(playbook([{ ...isolate, params: { namespace: 'kube-system', pod: 'coredns-abc12-xyz89' } }]));
    await executor.start(newRun());
    expect(effectKeys()).toEqual([]);
    expect((await store.get('contain|inc-1'))?.results[0]?.description).toBe('namespace kube-system is protected; no action may target it');
  });

  it('opens the breaker when a detector flags an implausible share of entities, stopping automatic action', async () => {
    const { executor, store, effectKeys } = setup(playbook([restart]));
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    const pods = (n: number): Entity[] => Array.from({ length: n }, (_, i) => ({ key: `pod:ml-prod/p-${i}`, kind: 'pod' as const, namespace: 'ml-prod', name: `p-${i}` }));
    expect(guard.observeWindow('egress-spike', pods(2), 40, 60_000)).toBeUndefined();
    expect(guard.observeWindow('egress-spike', pods(5), 8, 60_000)).toBeUndefined();
    const opened = guard.observeWindow('egress-spike', pods(30), 40, 60_000);
    expect(opened).toMatchObject({ share: 0.75, scored: 40, until: 60_000 + 30 * 60_000 });
    expect(guard.check({ action: { id: 'kubernetes.restart-deployment', destructive: true } as never, target: { kind: 'Deployment', namespace: 'ml-prod', name: 'x' }, detector: 'egress-spike' }, 120_000))
      .toMatchObject({ allowed: false, reason: expect.stringContaining('breaker open: detector egress-spike flagged 75% of 40 entities') as unknown });
    expect(guard.check({ action: { id: 'slack.notify', provider: 'slack', destructive: false } as never, target: { kind: 'SlackChannel', name: '#soc' }, detector: 'egress-spike' }, 120_000)).toEqual({ allowed: true });
    await executor.start(newRun());
    expect(effectKeys()).toHaveLength(1);
    expect((await store.get('contain|inc-1'))?.state).toBe('done');
  });

  it('does not count a pod already quarantined against the budget again', () => {
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    const request = { action: { id: 'kubernetes.quarantine-pod', destructive: true } as never, target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-1' }, workload: 'inference', detector: 'd' };
    guard.record(request, 0);
    expect(guard.check(request, 1)).toEqual({ allowed: true });
    expect(guard.check({ ...request, target: { ...request.target, name: 'inference-2' } }, 1).allowed).toBe(false);
  });

  it('keeps its budgets across a restart', () => {
    const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
    const request = { action: { id: 'kubernetes.quarantine-pod', destructive: true } as never, target: { kind: 'Pod', namespace: 'ml-prod', name: 'inference-1' }, workload: 'inference', detector: 'd' };
    guard.record(request, 0);
    const restored = new SafetyGuard(DEFAULT_SAFETY_POLICY, JSON.parse(JSON.stringify(guard.snapshot())) as ReturnType<SafetyGuard['snapshot']>);
    expect(restored.check({ ...request, target: { ...request.target, name: 'inference-2' } }, 1).allowed).toBe(false);
  });
});
