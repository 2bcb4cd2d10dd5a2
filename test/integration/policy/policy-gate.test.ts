/**
 * The policy gate on the real backends: playbook runs against the real Kubernetes API server,
 * asking the real OPA serving the shipped policies (policies/). Prints the ledger record of a deny.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import { QUARANTINE_LABEL } from '../../../src/actions/kubernetes/quarantine-plan.js';
import { Ledger, LEDGER_FILE, type LedgerRecord } from '../../../src/audit/ledger.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { playbookSchema, type PlaybookSpec } from '../../../src/playbook/playbook-spec.js';
import { RunExecutor } from '../../../src/playbook/run-executor.js';
import { MemoryRunStore, type PlaybookRun, type StepResult } from '../../../src/playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard } from '../../../src/playbook/safety-guard.js';
import { policyGate } from '../../../src/policy/policy-gate.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { startOpa, type OpaServer } from '../../env/start-opa.js';
import { waitFor } from '../../env/wait-for.js';
import { admin, deleteNamespaces, deploymentManifest, newNamespace, restrictedTo, runningPods, waitForRollout } from '../actions/kube-harness.js';

// 2026-11-05 is a Thursday (no change freeze), 2026-11-06 a Friday.
const THURSDAY = Date.UTC(2026, 10, 5, 10, 0);
const FRIDAY = Date.UTC(2026, 10, 6, 10, 0);

let opa: OpaServer;
let namespace: string;
let kube: Awaited<ReturnType<typeof restrictedTo>>;
let stateDir: string;
let counter = 0;

function playbook(name: string, policy?: Record<string, boolean>): PlaybookSpec {
  return playbookSchema.parse({
    apiVersion: 'meshwarden.io/v1', kind: 'Playbook', metadata: { name },
    spec: {
      trigger: { detectors: ['egress-spike'], entityKinds: ['pod'] }, ...(policy ? { policy } : {}),
      steps: [{ name: 'isolate the pod', action: 'kubernetes.quarantine-pod', params: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}' } }],
    },
  });
}

/** An executor on the restricted Kubernetes user, asking OPA at `url`, with its own ledger. */
async function engine(url: string, now: number) {
  const dir = join(stateDir, `engine-${++counter}`);
  const ledger = await Ledger.open(join(dir, 'audit'), new ManualClock(now));
  const clock = new ManualClock(now);
  const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
  const told: StepResult[] = [];
  const playbooks = [playbook('isolate'), playbook('isolate-fail-open', { failOpen: true })];
  const executor = new RunExecutor({
    playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard, store: new MemoryRunStore(), ledger,
    actionDeps: { kube, clock, logger: silentLogger() },
    // What the service posts to the incident's Slack thread.
    onStep: (_run, result) => { told.push(result); return Promise.resolve(); },
    policy: policyGate({ url, path: 'meshwarden/decision', timeout: 500, cacheSize: 100, cacheTtl: 60_000 }, { guard, clock, kube }),
  });
  const records = (): LedgerRecord[] => readFileSync(join(dir, 'audit', LEDGER_FILE), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as LedgerRecord);
  return { executor, told, records };
}

function run(playbookName: string, pod: string, now: number, extra: { labels?: Record<string, string>; details?: string[] } = {}): PlaybookRun {
  const anomaly: Anomaly = {
    id: `egress-spike-${pod}-${now}`, detector: 'egress-spike', severity: 'critical', score: 0.99,
    entity: { key: `pod:${namespace}/${pod}`, kind: 'pod', namespace, name: pod, pod, workload: pod.replace(/-[a-z0-9]+-[a-z0-9]+$/, ''), ...(extra.labels ? { labels: extra.labels } : {}) },
    windowStart: now - 60_000, windowEnd: now,
    evidence: [{ feature: 'egress_bytes', observed: 9e7, expected: 1.5e3, spread: 150, score: 0.99, ...(extra.details ? { details: extra.details } : {}) }],
  };
  return { id: `${playbookName}|${pod}|${now}`, playbook: playbookName, incidentId: `inc-${pod}`, anomaly, createdAt: now, dryRun: false, state: 'running', next: 0, results: [] };
}

async function quarantined(pod: string): Promise<boolean> {
  const read = await admin().core.readNamespacedPod({ name: pod, namespace });
  return read.metadata?.labels?.[QUARANTINE_LABEL] === 'true';
}

async function readyReplicaSet(app: string, replicas: number): Promise<void> {
  await waitForRollout(namespace, app);
  await waitFor(`${app}: ${replicas} ready`, 90_000, async () => {
    const sets = await admin().apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${app}` });
    return sets.items.some((rs) => rs.status?.readyReplicas === replicas);
  });
}

async function podsOf(app: string): Promise<string[]> {
  return (await runningPods(namespace, `app=${app}`)).map((p) => p.metadata?.name ?? '').sort();
}

beforeAll(async () => {
  opa = await startOpa(['policies']);
  stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-policy-'));
  namespace = await newNamespace('policy');
  const { apps } = admin();
  await apps.createNamespacedDeployment({ namespace, body: deploymentManifest('solo', 'registry.local/solo:1.0', 1) });
  await apps.createNamespacedDeployment({ namespace, body: deploymentManifest('fleet', 'registry.local/fleet:1.0', 3) });
  await readyReplicaSet('solo', 1);
  await readyReplicaSet('fleet', 3);
  const quarantine = findAction('kubernetes.quarantine-pod');
  if (!quarantine) throw new Error('kubernetes.quarantine-pod is not registered');
  kube = await restrictedTo(namespace, [quarantine]);
}, 300_000);

afterAll(async () => {
  await opa.stop();
  await deleteNamespaces();
});

describe('the policy gate before a live quarantine (real Kubernetes, real OPA)', () => {
  it('refuses to quarantine the last ready replica: the ledger keeps OPA\'s reasons, the thread is told, the pod is untouched', async () => {
    const [pod = ''] = await podsOf('solo');
    const { executor, told, records } = await engine(opa.url, THURSDAY);
    await executor.start(run('isolate', pod, THURSDAY));

    const reason = `pod ${namespace}/${pod} is the last ready replica of ReplicaSet ${(await admin().core.readNamespacedPod({ name: pod, namespace })).metadata?.ownerReferences?.[0]?.name ?? '?'} (1 ready); quarantining it would take the workload down`;
    const refusal = records().find((r) => r.type === 'refusal');
    console.log(`policy deny ledger record: ${JSON.stringify(refusal)}`);
    expect(refusal?.data).toMatchObject({
      playbook: 'isolate', step: 'isolate the pod', action: 'kubernetes.quarantine-pod', target: `Pod ${namespace}/${pod}`, outcome: 'refused',
      description: `policy denied: ${reason}`, policy: { decision: 'deny', reasons: [reason] },
    });
    expect(told.map((r) => [r.outcome, r.description])).toEqual([['refused', `policy denied: ${reason}`]]);
    expect(await quarantined(pod)).toBe(false);
    expect((await admin().networking.listNamespacedNetworkPolicy({ namespace })).items).toEqual([]);
  });

  it('lets a quarantine of one of three ready replicas run, and records that the policy allowed it', async () => {
    const [pod = ''] = await podsOf('fleet');
    const { executor, records } = await engine(opa.url, THURSDAY);
    await executor.start(run('isolate', pod, THURSDAY));
    const action = records().find((r) => r.type === 'action');
    expect(action?.data).toMatchObject({ outcome: 'succeeded', target: `Pod ${namespace}/${pod}`, policy: { decision: 'allow', reasons: [] } });
    expect(await quarantined(pod)).toBe(true);
  });

  it('fails closed when OPA is down, and a failOpen playbook proceeds with the ledger saying it ran unchecked', async () => {
    const pods = await podsOf('fleet');
    const candidates: string[] = [];
    for (const p of pods) if (!(await quarantined(p))) candidates.push(p);
    const [first = '', second = ''] = candidates;
    const down = await engine('http://127.0.0.1:9', THURSDAY);

    await down.executor.start(run('isolate', first, THURSDAY));
    const refusal = down.records().find((r) => r.type === 'refusal');
    expect(refusal?.data).toMatchObject({ outcome: 'refused', policy: { decision: 'fail-closed' } });
    expect((refusal?.data as { description: string }).description).toMatch(/^policy unavailable, failing closed: cannot reach the policy at http:\/\/127\.0\.0\.1:9\/v1\/data\/meshwarden\/decision/);
    expect(await quarantined(first)).toBe(false);

    await down.executor.start(run('isolate-fail-open', second, THURSDAY));
    const action = down.records().find((r) => r.type === 'action');
    expect(action?.data).toMatchObject({ playbook: 'isolate-fail-open', outcome: 'succeeded', policy: { decision: 'fail-open' } });
    expect((action?.data as { policy: { reasons: string[] } }).policy.reasons[0]).toMatch(/the playbook fails open, so the step runs unchecked$/);
    expect(await quarantined(second)).toBe(true);
  });

  it('an incident whose strings try to smuggle a decision cannot flip a deny', async () => {
    const pod = (await podsOf('fleet')).find((p) => p !== '') ?? '';
    const untouched: string[] = [];
    for (const p of await podsOf('fleet')) if (!(await quarantined(p))) untouched.push(p);
    const target = untouched[0] ?? pod;
    const { executor, records } = await engine(opa.url, FRIDAY);
    const smuggled = ['{"allow":true}', '"}},"allow":true,"reasons":[],"x":{"', '{"result":{"allow":true}}', '\\"}]}\u0000'];
    await executor.start(run('isolate', target, FRIDAY, { labels: { app: '{"allow":true}', 'x"}': '"allow":true' }, details: smuggled }));
    const refusal = records().find((r) => r.type === 'refusal');
    expect(refusal?.data).toMatchObject({
      outcome: 'refused', policy: { decision: 'deny', reasons: ['change freeze: no destructive action on Fridays (UTC); ask the on-call lead to act by hand'] },
    });
    expect(await quarantined(target)).toBe(false);
  });
});
