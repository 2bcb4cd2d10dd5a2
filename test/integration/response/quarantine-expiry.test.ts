import { afterAll, describe, expect, it } from 'vitest';
import { findAction } from '../../../src/actions/action-registry.js';
import { expireQuarantines } from '../../../src/actions/kubernetes/expire-quarantines.js';
import { QUARANTINE_LABEL } from '../../../src/actions/kubernetes/quarantine-pod.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { waitFor } from '../../env/wait-for.js';
import { actionContext, newIdempotencyKey, run } from '../actions/action-harness.js';
import { admin, deleteNamespaces, deploymentManifest, newNamespace, restrictedTo, runningPods, waitForRollout } from '../actions/kube-harness.js';

afterAll(async () => {
  await deleteNamespaces();
});

describe('quarantine expiry', () => {
  it('releases a quarantine once its expiry has passed, and not before', async () => {
    const namespace = await newNamespace('expiry');
    await admin().apps.createNamespacedDeployment({ namespace, body: deploymentManifest('model', 'registry.local/model:1', 2) });
    await waitForRollout(namespace, 'model');
    await waitFor('2 pods Running', 90_000, async () => (await runningPods(namespace, 'app=model')).length === 2);
    const pod = (await runningPods(namespace, 'app=model'))[0]?.metadata?.name ?? '';
    const actions = ['kubernetes.quarantine-pod', 'kubernetes.release-pod'].map((id) => {
      const action = findAction(id);
      if (!action) throw new Error(id);
      return action;
    });
    const kube = await restrictedTo(namespace, actions);
    await run('kubernetes.quarantine-pod', { namespace, pod, expireAfter: '10m' }, actionContext({ kube }, { idempotencyKey: newIdempotencyKey() }));
    const clock = new ManualClock(Date.now());
    const deps = { kube, clock, logger: silentLogger() };

    expect(await expireQuarantines(deps, [namespace])).toEqual([]);
    clock.advance(11 * 60_000);
    const released = await expireQuarantines(deps, [namespace]);
    expect(released.map((r) => [r.pod, r.result?.outcome, r.error])).toEqual([[pod, 'succeeded', undefined]]);
    // Released, the pod matches its ReplicaSet again; one replica over, the ReplicaSet removes a
    // surplus pod (possibly this one). Either way no quarantine remains and the workload has 2 pods.
    const quarantined = await admin().core.listNamespacedPod({ namespace, labelSelector: `${QUARANTINE_LABEL}=true` });
    expect(quarantined.items).toEqual([]);
    const policies = await admin().networking.listNamespacedNetworkPolicy({ namespace });
    expect(policies.items).toEqual([]);
    await waitFor('2 pods Running', 90_000, async () => (await runningPods(namespace, 'app=model')).length === 2);
    expect(await expireQuarantines(deps, [namespace])).toEqual([]);
  }, 180_000);
});
