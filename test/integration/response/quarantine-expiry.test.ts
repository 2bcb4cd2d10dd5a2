import { WebClient } from '@slack/web-api';
import { afterAll, describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import { expireQuarantines } from '../../../src/actions/kubernetes/expire-quarantines.js';
import { QUARANTINE_LABEL } from '../../../src/actions/kubernetes/quarantine-pod.js';
import { ClusterRails } from '../../../src/coordination/cluster-rails.js';
import { KubeLeaseClaims } from '../../../src/coordination/kube-lease-claims.js';
import { QUARANTINE_BOOKING_GRACE_MS, sweepQuarantineBudgets } from '../../../src/coordination/quarantine-sweep.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type GuardRequest, type SafetyPolicy } from '../../../src/playbook/safety-guard.js';
import { MemoryIncidentThreadStore } from '../../../src/actions/slack/incident-thread-store.js';
import { SlackIncidentThreads } from '../../../src/actions/slack/incident-threads.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { kubeConfigFor } from '../../env/kube-backend.js';
import { startSlackTestServer } from '../../env/slack-server.js';
import { waitFor } from '../../env/wait-for.js';
import { actionContext, actionsById, newIdempotencyKey, run } from '../actions/action-harness.js';
import { admin, deleteNamespaces, restrictedTo, runningDeployment, runningPods } from '../actions/kube-harness.js';

afterAll(async () => {
  await deleteNamespaces();
});

describe('quarantine expiry', () => {
  it('releases a quarantine once its expiry has passed, and not before', async () => {
    const { namespace, pods: [pod = ''] } = await runningDeployment('expiry', 'model', 2);
    const actions = actionsById('kubernetes.quarantine-pod', 'kubernetes.release-pod');
    const kube = await restrictedTo(namespace, actions);
    const key = newIdempotencyKey();
    await run('kubernetes.quarantine-pod', { namespace, pod, expireAfter: '10m' }, actionContext({ kube }, { idempotencyKey: key }));
    const clock = new ManualClock(Date.now());
    const deps = { kube, clock, logger: silentLogger() };

    expect(await expireQuarantines(deps, [namespace])).toEqual([]);
    clock.advance(11 * 60_000);
    const released = await expireQuarantines(deps, [namespace]);
    expect(released.map((r) => [r.pod, r.result?.outcome, r.error])).toEqual([[pod, 'succeeded', undefined]]);
    // The incident is read back from the quarantining step's key (`<playbook>/<incident>/<step>`).
    expect(released[0]?.incidentId).toBe(key.split('/')[1]);
    // Released, the pod matches its ReplicaSet again; one replica over, the ReplicaSet removes a
    // surplus pod (possibly this one). Either way no quarantine remains and the workload has 2 pods.
    const quarantined = await admin().core.listNamespacedPod({ namespace, labelSelector: `${QUARANTINE_LABEL}=true` });
    expect(quarantined.items).toEqual([]);
    const policies = await admin().networking.listNamespacedNetworkPolicy({ namespace });
    expect(policies.items).toEqual([]);
    await waitFor('2 pods Running', 90_000, async () => (await runningPods(namespace, 'app=model')).length === 2);
    expect(await expireQuarantines(deps, [namespace])).toEqual([]);
  }, 180_000);

  it('stops counting a pod deleted by hand against the blast-radius budgets, locally and across replicas', async () => {
    const { namespace, pods: [p1, p2, p3] } = await runningDeployment('budget', 'model', 3);
    const quarantine = findAction('kubernetes.quarantine-pod');
    if (!quarantine || !p1 || !p2 || !p3) throw new Error('setup');
    const kube = await restrictedTo(namespace, [quarantine]);
    const policy: SafetyPolicy = { ...DEFAULT_SAFETY_POLICY, blastRadius: { maxQuarantinedPerWorkload: 2, maxQuarantinedPerNamespace: 5 } };
    const request = (pod: string): GuardRequest => ({ action: quarantine, target: { kind: 'Pod', namespace, name: pod }, workload: 'model', detector: 'egress-spike' });
    const clock = new ManualClock(Date.now());
    const guard = new SafetyGuard(policy);
    const rails = new ClusterRails(new KubeLeaseClaims(kubeConfigFor('admin'), namespace, clock), policy, 7 * 24 * 3_600_000);
    // What the executor does for each: book the slots, act, count the pod.
    for (const pod of [p1, p2]) {
      expect(await rails.book(request(pod), `isolate|${pod}/0`)).toEqual({ allowed: true });
      await run('kubernetes.quarantine-pod', { namespace, pod }, actionContext({ kube }, { idempotencyKey: newIdempotencyKey() }));
      guard.record(request(pod), clock.now());
    }
    expect(guard.check(request(p3), clock.now()).allowed).toBe(false);
    expect((await rails.book(request(p3), `isolate|${p3}/0`)).allowed).toBe(false);

    // Forensics done, someone deletes the quarantined pod by hand.
    await admin().core.deleteNamespacedPod({ namespace, name: p1, gracePeriodSeconds: 0 });
    await waitFor(`${p1} gone`, 60_000, async () => !(await admin().core.listNamespacedPod({ namespace })).items.some((p) => p.metadata?.name === p1));
    clock.advance(QUARANTINE_BOOKING_GRACE_MS + 60_000);
    const records: [string, unknown][] = [];
    const ledger = { append: (type: string, data: unknown) => { records.push([type, data]); }, flush: () => Promise.resolve() };
    // The sweeper lists quarantines cluster-wide, as the engine's ClusterRole allows.
    const deps = { kube: kubeConfigFor('admin'), clock, logger: silentLogger() };
    const outcome = await sweepQuarantineBudgets({ actionDeps: deps, guard, rails, ledger });
    // Three slots: p1's workload and namespace slots, and the namespace slot p3's refused booking
    // took before its workload slot was refused (booking is not atomic across limits).
    expect(outcome).toEqual({ released: 0, forgotten: [`${namespace}/${p1}`], freedSlots: 3 });
    expect(records).toEqual([['decision', expect.objectContaining({ event: 'quarantine-budget-reconciled', pods: [`${namespace}/${p1}`], freedSlots: 3 })]]);
    expect([...guard.quarantinedPods()].filter((p) => p.startsWith(`${namespace}/`))).toEqual([`${namespace}/${p2}`]);
    // The budget is free again for one pod, locally and across replicas; p2 still holds its slots.
    expect(guard.check(request(p3), clock.now())).toEqual({ allowed: true });
    expect(await rails.book(request(p3), `isolate|${p3}/0`)).toEqual({ allowed: true });

    // p3's slots were booked just now and its quarantine could still be under way: a sweep keeps them.
    const again = await sweepQuarantineBudgets({ actionDeps: deps, guard, rails, ledger });
    expect(again).toEqual({ released: 0, forgotten: [], freedSlots: 0 });
    expect((await rails.book(request(`${p3}-other`), 'isolate|other/0')).allowed).toBe(false);
  }, 180_000);

  it('tells the incident\'s Slack thread when a quarantine is released at its expiry', async () => {
    const slackServer = await startSlackTestServer({ botToken: 'xoxb-expiry', signingSecret: 'unused' });
    try {
      const { namespace, pods: [pod = ''] } = await runningDeployment('expiry-thread', 'model', 2);
      const quarantine = findAction('kubernetes.quarantine-pod');
      if (!quarantine) throw new Error('action');
      const kube = await restrictedTo(namespace, actionsById('kubernetes.quarantine-pod', 'kubernetes.release-pod'));
      const incidentId = `expiry-${pod}`;
      const logger = silentLogger();
      const slack = new WebClient('xoxb-expiry', { slackApiUrl: slackServer.apiUrl, retryConfig: { retries: 0 } });
      const threads = new SlackIncidentThreads({ slack, store: new MemoryIncidentThreadStore(), logger });
      const now = Date.now();
      const anomaly: Anomaly = {
        id: `a-${pod}`, detector: 'egress-spike', severity: 'critical', score: 0.99, windowStart: now - 60_000, windowEnd: now, evidence: [],
        entity: { key: `pod:${namespace}/${pod}`, kind: 'pod', namespace, name: pod, pod },
      };
      const parent = await threads.notify({ incidentId, channel: '#soc-alerts', anomaly, idempotencyKey: `isolate/${incidentId}/0` });
      // Not detached, so the released pod stays in its ReplicaSet.
      await run('kubernetes.quarantine-pod', { namespace, pod, expireAfter: '10m', detach: false }, actionContext({ kube }, { idempotencyKey: `isolate/${incidentId}/1` }));
      const guard = new SafetyGuard(DEFAULT_SAFETY_POLICY);
      guard.record({ action: quarantine, target: { kind: 'Pod', namespace, name: pod }, workload: 'model', detector: 'egress-spike' }, now);
      const clock = new ManualClock(now + 11 * 60_000);
      const ledger: [string, unknown][] = [];
      const outcome = await sweepQuarantineBudgets({
        actionDeps: { kube: kubeConfigFor('admin'), clock, logger }, guard, threads,
        ledger: { append: (type: string, data: unknown) => { ledger.push([type, data]); }, flush: () => Promise.resolve() },
      });
      expect(outcome?.released).toBeGreaterThanOrEqual(1);
      expect(guard.quarantinedPods().has(`${namespace}/${pod}`)).toBe(false);
      expect(ledger).toContainEqual(['action', expect.objectContaining({ playbook: 'quarantine-expiry', target: `Pod ${namespace}/${pod}`, outcome: 'succeeded', incidentId })]);
      const replies = slackServer.replies(parent.channel, parent.ts).map((m) => m.text);
      expect(replies.some((text) => text.includes(`release at expiry`) && text.includes(`on Pod ${namespace}/${pod}: succeeded`))).toBe(true);
    } finally {
      await slackServer.close();
    }
  }, 180_000);
});
