import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import { kubeClients, PATCH, type KubeClients } from './kube-clients.js';
import { planRelease, QUARANTINE_LABEL, quarantinePolicyName, type ReleasePlan } from './quarantine-plan.js';

const ID = 'kubernetes.release-pod';
const ATTEMPTS = 3;

const params = z.object({ namespace: k8sName, pod: k8sName }).strict();
type Params = z.output<typeof params>;

/**
 * Undoes a quarantine: restores the pod's original labels and removes its deny-all NetworkPolicy.
 * The pod then matches its ReplicaSet's selector again, the ReplicaSet adopts it and, now one
 * replica over, deletes a surplus pod by its usual ranking; Services send it traffic again.
 */
export const releasePod = defineAction({
  id: ID,
  provider: 'kubernetes',
  summary: 'Release a quarantined pod: restore its labels and remove its deny-all NetworkPolicy',
  params,
  rbac: [
    // list: the expiry sweeper (expire-quarantines.ts) finds quarantined pods to release.
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['delete'] },
  ],
  inverse: 'kubernetes.quarantine-pod',
  destructive: false,
  example: { namespace: 'ml-prod', pod: 'inference-7d9c8b6f5-x2k4p' },
  target: (p) => ({ kind: 'Pod', namespace: p.namespace, name: p.pod }),
  describe: (p) => `restore the original labels of pod ${p.namespace}/${p.pod}, remove ${QUARANTINE_LABEL} and its deny-all NetworkPolicy`,
  execute: release,
});

async function release(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const kube = await kubeClients(ctx, ID);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const pod = await kube.call(`read pod ${p.namespace}/${p.pod}`, () =>
      kube.core.readNamespacedPod({ name: p.pod, namespace: p.namespace }, kube.options()),
    );
    const plan = releasePlan(pod, p);
    if (plan === undefined) {
      // Not (or no longer) quarantined. A crash after restoring the labels can leave the policy
      // behind; it selects nothing then, but is removed all the same.
      const policyName = quarantinePolicyName(p.pod, pod.metadata?.uid ?? '');
      const deleted = await deletePolicy(kube, p.namespace, policyName);
      return {
        outcome: 'already-done',
        summary: `pod ${p.namespace}/${p.pod} is not quarantined${deleted ? `; removed its leftover NetworkPolicy ${policyName}` : ''}`,
        details: { policy: policyName, policyDeleted: deleted },
      };
    }
    try {
      await kube.call(`patch pod ${p.namespace}/${p.pod}`, () =>
        kube.core.patchNamespacedPod({ name: p.pod, namespace: p.namespace, body: plan.podPatch }, kube.options(PATCH.merge)),
      );
    } catch (error) {
      if (error instanceof ActionError && error.reason === 'conflict' && attempt < ATTEMPTS) continue;
      throw error;
    }
    // Labels first, then the policy: from the patch on the policy no longer selects the pod, so
    // the order only decides what a crash in between leaves behind (an inert policy, cleaned above).
    const deleted = await deletePolicy(kube, p.namespace, plan.policyName);
    return {
      outcome: 'succeeded',
      summary:
        `released pod ${p.namespace}/${p.pod}: original labels restored and NetworkPolicy ${plan.policyName} removed; ` +
        'its ReplicaSet adopts it again and removes one surplus replica',
      details: { policy: plan.policyName, policyDeleted: deleted, labels: Object.keys(plan.labels).sort().join(',') },
    };
  }
  throw new ActionError('conflict', `pod ${p.namespace}/${p.pod} kept changing while it was being released (${ATTEMPTS} attempts)`);
}

function releasePlan(pod: V1Pod, p: Params): ReleasePlan | undefined {
  try {
    return planRelease(pod);
  } catch (error) {
    throw new ActionError('client', `cannot release pod ${p.namespace}/${p.pod}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Deletes the quarantine policy; false when it was not there. */
async function deletePolicy(kube: KubeClients, namespace: string, name: string): Promise<boolean> {
  const deleted = await kube.callOrAbsent(`delete network policy ${namespace}/${name}`, () =>
    kube.networking.deleteNamespacedNetworkPolicy({ name, namespace }, kube.options()),
  );
  return deleted !== undefined;
}
