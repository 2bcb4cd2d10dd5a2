import { DiscoveryV1Api, PatchStrategy, setHeaderOptions, type V1NetworkPolicy, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import { QUARANTINE_ANNOTATIONS, QUARANTINE_ID_LABEL, QUARANTINE_LABEL } from '../../../src/actions/kubernetes/quarantine-plan.js';
import { testEnv } from '../../env/backends.js';
import { buildKubeConfig } from '../../env/kube-config.js';
import { kubeObject } from '../../env/kube-object.js';
import { waitFor } from '../../env/wait-for.js';
import { actionContext, elapsed, newIdempotencyKey, reportTiming, run, runExpectingFailure } from './action-harness.js';
import { admin, deleteNamespaces, deploymentManifest, newNamespace, restrictedTo, runningPods, waitForRollout } from './kube-harness.js';

const QUARANTINE = 'kubernetes.quarantine-pod';
const RELEASE = 'kubernetes.release-pod';

function registry(...ids: string[]): NonNullable<ReturnType<typeof findAction>>[] {
  return ids.map((id) => {
    const action = findAction(id);
    if (action === undefined) throw new Error(`${id} is not registered`);
    return action;
  });
}

/** A 3-replica model server behind a Service, plus an allow policy selecting its pods by `tier`. */
async function modelWorkload(namespace: string): Promise<{ name: string; pods: V1Pod[] }> {
  const { apps, core, networking } = admin();
  const name = 'model';
  await apps.createNamespacedDeployment({ namespace, body: deploymentManifest(name, 'registry.local/model:1.0', 3, { tier: 'inference' }) });
  await core.createNamespacedService({
    namespace,
    body: kubeObject<V1Service>({ metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 8080 }] } }),
  });
  await networking.createNamespacedNetworkPolicy({
    namespace,
    body: kubeObject<V1NetworkPolicy>({
      metadata: { name: 'allow-inference' },
      spec: { podSelector: { matchLabels: { tier: 'inference' } }, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: {} }] }] },
    }),
  });
  await waitForRollout(namespace, name);
  await waitFor('3 pods Running', 90_000, async () => (await runningPods(namespace, `app=${name}`)).length === 3);
  return { name, pods: await runningPods(namespace, `app=${name}`) };
}

async function endpointPodNames(namespace: string, service: string): Promise<string[]> {
  const slices = await admin().kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return slices.items.flatMap((slice) => slice.endpoints.map((endpoint) => endpoint.targetRef?.name ?? '')).sort();
}

describe('kubernetes.quarantine-pod and kubernetes.release-pod (restricted to their declared RBAC)', () => {
  afterEach(deleteNamespaces);

  it('quarantines only the offending pod: isolated, detached and kept, while its siblings run on and the Deployment heals', async () => {
    const namespace = await newNamespace('quarantine');
    const { name, pods } = await modelWorkload(namespace);
    const [victim, ...siblings] = pods;
    if (victim === undefined) throw new Error('no pod');
    const victimName = victim.metadata?.name ?? '';
    const uid = victim.metadata?.uid ?? '';
    const originalLabels = victim.metadata?.labels ?? {};
    await waitFor('the Service to list all 3 pods', 60_000, async () => (await endpointPodNames(namespace, name)).length === 3);
    const kube = await restrictedTo(namespace, registry(QUARANTINE, RELEASE));
    const ctx = actionContext({ kube });

    const started = performance.now();
    const result = await run(QUARANTINE, { namespace, pod: victimName, expireAfter: '24h' }, ctx);
    const callMs = elapsed(started);

    expect(result.outcome).toBe('succeeded');
    expect(result.undo).toEqual({ action: RELEASE, params: { namespace, pod: victimName } });
    expect(result.details).toMatchObject({
      policy: `meshwarden-quarantine-${victimName}`,
      removedLabels: 'app,pod-template-hash,tier',
      stillAllowedBy: '',
    });

    const { core, apps, networking } = admin();
    const kept = await core.readNamespacedPod({ name: victimName, namespace });
    expect(kept.metadata?.uid).toBe(uid);
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    expect(kept.metadata?.labels).toEqual({ [QUARANTINE_LABEL]: 'true', [QUARANTINE_ID_LABEL]: uid });
    expect(kept.metadata?.ownerReferences ?? []).toEqual([]);
    expect(JSON.parse(kept.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.originalLabels] ?? '{}')).toEqual(originalLabels);
    expect(kept.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.idempotencyKey]).toBe(ctx.idempotencyKey);
    expect(Date.parse(kept.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.expiresAt] ?? '') - Date.now()).toBeGreaterThan(23 * 3_600_000);

    const policy = await networking.readNamespacedNetworkPolicy({ name: `meshwarden-quarantine-${victimName}`, namespace });
    expect(policy.spec?.podSelector).toEqual({ matchLabels: { [QUARANTINE_LABEL]: 'true', [QUARANTINE_ID_LABEL]: uid } });
    expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec?.ingress ?? []).toEqual([]);
    expect(policy.spec?.egress ?? []).toEqual([]);
    const selected = await core.listNamespacedPod({ namespace, labelSelector: `${QUARANTINE_LABEL}=true,${QUARANTINE_ID_LABEL}=${uid}` });
    expect(selected.items.map((pod) => pod.metadata?.name)).toEqual([victimName]);
    const allowSelects = await core.listNamespacedPod({ namespace, labelSelector: 'tier=inference' });
    expect(allowSelects.items.map((pod) => pod.metadata?.name)).not.toContain(victimName);

    // The ReplicaSet starts a replacement; the siblings are untouched.
    await waitFor('a replacement pod Running', 90_000, async () => {
      const running = (await runningPods(namespace, `app=${name}`)).map((pod) => pod.metadata?.name);
      return running.length === 3 && !running.includes(victimName);
    });
    const healedMs = elapsed(started);
    await waitForRollout(namespace, name);
    await waitFor('the Service to drop the quarantined pod', 60_000, async () => {
      const names = await endpointPodNames(namespace, name);
      return names.length === 3 && !names.includes(victimName);
    });
    const endpointsMs = elapsed(started);
    const running = (await runningPods(namespace, `app=${name}`)).map((pod) => pod.metadata?.uid);
    for (const sibling of siblings) expect(running).toContain(sibling.metadata?.uid);
    expect((await apps.readNamespacedDeployment({ name, namespace })).status?.availableReplicas).toBe(3);
    expect((await core.readNamespacedPod({ name: victimName, namespace })).status?.phase).toBe('Running');
    reportTiming(QUARANTINE, 'call', callMs);
    reportTiming(QUARANTINE, 'replacement Running', healedMs);
    reportTiming(QUARANTINE, 'Service endpoints without the pod', endpointsMs);

    // A retry of the same step changes nothing more.
    const before = await core.readNamespacedPod({ name: victimName, namespace });
    const again = await run(QUARANTINE, { namespace, pod: victimName, expireAfter: '24h' }, actionContext({ kube }, { idempotencyKey: ctx.idempotencyKey }));
    expect(again.outcome).toBe('already-done');
    expect((await core.readNamespacedPod({ name: victimName, namespace })).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect((await networking.listNamespacedNetworkPolicy({ namespace })).items.map((p) => p.metadata?.name).sort()).toEqual([
      'allow-inference',
      `meshwarden-quarantine-${victimName}`,
    ]);

    // Release: the original labels come back, the policy goes, the ReplicaSet takes the pod back
    // and removes one surplus replica. Which one it removes is its own ranking's choice (in these
    // tests any of the four, run to run); a high deletion cost keeps the released pod to check it.
    await core.patchNamespacedPod(
      { name: victimName, namespace, body: { metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '1000' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const releaseStarted = performance.now();
    const released = await run(RELEASE, { namespace, pod: victimName }, actionContext({ kube }));
    const releaseCallMs = elapsed(releaseStarted);
    expect(released.outcome).toBe('succeeded');
    const restored = await core.readNamespacedPod({ name: victimName, namespace });
    expect(restored.metadata?.labels).toEqual(originalLabels);
    expect(Object.keys(restored.metadata?.annotations ?? {}).filter((key) => key.startsWith('meshwarden.io/'))).toEqual([]);
    expect((await networking.listNamespacedNetworkPolicy({ namespace })).items.map((p) => p.metadata?.name)).toEqual(['allow-inference']);
    await waitFor('the Deployment back at exactly 3 pods', 90_000, async () => (await runningPods(namespace, `app=${name}`)).length === 3);
    reportTiming(RELEASE, 'call', releaseCallMs);
    reportTiming(RELEASE, 'back at 3 replicas', elapsed(releaseStarted));
    await waitFor('the ReplicaSet to adopt the released pod', 30_000, async () => {
      const pod = await core.readNamespacedPod({ name: victimName, namespace });
      return pod.metadata?.ownerReferences?.some((owner) => owner.kind === 'ReplicaSet' && owner.controller === true) === true;
    });
    expect((await runningPods(namespace, `app=${name}`)).map((pod) => pod.metadata?.uid)).toContain(uid);

    expect((await run(RELEASE, { namespace, pod: victimName }, actionContext({ kube }))).outcome).toBe('already-done');
  });

  it('isolates in place without detaching when detach is false', async () => {
    const namespace = await newNamespace('quarantine');
    const { name, pods } = await modelWorkload(namespace);
    const victimName = pods[0]?.metadata?.name ?? '';
    const kube = await restrictedTo(namespace, registry(QUARANTINE));

    const result = await run(QUARANTINE, { namespace, pod: victimName, detach: false }, actionContext({ kube }));

    expect(result.outcome).toBe('succeeded');
    expect(result.details).toMatchObject({ detached: false, removedLabels: '', stillAllowedBy: 'allow-inference' });
    const pod = await admin().core.readNamespacedPod({ name: victimName, namespace });
    expect(pod.metadata?.labels).toMatchObject({ app: name, tier: 'inference', [QUARANTINE_LABEL]: 'true' });
    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    expect(result.summary).toContain('WARNING: allow policies allow-inference still select it');
  });

  it('fails with reason auth when the credential lacks the declared permissions', async () => {
    const namespace = await newNamespace('quarantine');
    await admin().core.createNamespacedPod({
      namespace,
      body: kubeObject<V1Pod>({ metadata: { name: 'lonely' }, spec: { containers: [{ name: 'c', image: 'registry.local/model:1.0' }] } }),
    });
    // Bound to release-pod's rules only: reading the pod works, listing Services does not.
    const kube = await restrictedTo(namespace, registry(RELEASE));

    const error = await runExpectingFailure(QUARANTINE, { namespace, pod: 'lonely' }, actionContext({ kube }));

    expect(error.reason).toBe('auth');
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/^list services in .*: HTTP 403 /);
    expect((await admin().networking.listNamespacedNetworkPolicy({ namespace })).items).toEqual([]);
  });

  it('fails with reason auth for a credential the API server does not know (401)', async () => {
    const namespace = await newNamespace('quarantine');
    const kube = testEnv().kubernetes;
    if (kube === undefined) throw new Error('no Kubernetes backend');
    const stranger = buildKubeConfig({ server: kube.server, caData: kube.caData, user: 'stranger', token: 'not-a-known-token' });

    const error = await runExpectingFailure(QUARANTINE, { namespace, pod: 'any' }, actionContext({ kube: stranger }));

    expect(error.reason).toBe('auth');
    expect(error.message).toContain('HTTP 401');
  });

  it('fails with reason timeout when the run is cancelled while requests are in flight', async () => {
    const namespace = await newNamespace('quarantine');
    await admin().core.createNamespacedPod({
      namespace,
      body: kubeObject<V1Pod>({ metadata: { name: 'slow' }, spec: { containers: [{ name: 'c', image: 'registry.local/model:1.0' }] } }),
    });
    const kube = await restrictedTo(namespace, registry(QUARANTINE));

    // Five requests take far longer than 5 ms: the signal fires during one of them.
    const error = await runExpectingFailure(QUARANTINE, { namespace, pod: 'slow' }, actionContext({ kube }, { timeoutMs: 5 }));

    expect([error.reason, error.retriable]).toEqual(['timeout', true]);
    expect(error.message).toContain('cancelled (the step timed out');
  });

  it('fails with reason client for a pod that does not exist', async () => {
    const namespace = await newNamespace('quarantine');
    const kube = await restrictedTo(namespace, registry(QUARANTINE));

    const error = await runExpectingFailure(QUARANTINE, { namespace, pod: 'no-such-pod' }, actionContext({ kube }, { idempotencyKey: newIdempotencyKey() }));

    expect(error.reason).toBe('client');
    expect(error.message).toContain('HTTP 404 pods "no-such-pod" not found');
  });
});
