import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { parseDuration, durationTextSchema } from '../../shared/duration.js';
import { ActionError } from '../../shared/errors.js';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import { kubeClients, PATCH, type KubeClients } from './kube-clients.js';
import {
  planQuarantine,
  QUARANTINE_ANNOTATIONS,
  QUARANTINE_LABEL,
  quarantinePolicy,
  quarantinePolicyName,
  replicaSetController,
  type PodController,
} from './quarantine-plan.js';

export { QUARANTINE_LABEL } from './quarantine-plan.js';

const ID = 'kubernetes.quarantine-pod';
/** Attempts of the read-plan-patch cycle when the pod changes under us (409). */
const ATTEMPTS = 3;

const params = z
  .object({
    namespace: k8sName,
    pod: k8sName,
    /** Move the pod out of its ReplicaSet and Services so a replacement starts. */
    detach: z.boolean().default(true),
    /** Release automatically after this long; unset keeps the quarantine until released. */
    expireAfter: durationTextSchema.optional(),
  })
  .strict();

type Params = z.output<typeof params>;

/**
 * Isolates exactly one pod: applies a NetworkPolicy selecting only it (by a per-pod label) that
 * denies all its ingress and egress, labels it `meshwarden.io/quarantine=true`, and detaches it
 * from its ReplicaSet and Services (moving the labels they select on aside, recording the originals,
 * and dropping its controller reference) so the workload heals while the pod is kept for forensics.
 */
export const quarantinePod = defineAction({
  id: ID,
  provider: 'kubernetes',
  summary: 'Isolate one pod with a deny-all NetworkPolicy and detach it from its workload, keeping it for forensics',
  params,
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
    { apiGroups: [''], resources: ['services'], verbs: ['list'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'create'] },
  ],
  inverse: 'kubernetes.release-pod',
  destructive: true,
  example: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}', expireAfter: '24h' },
  target: (p) => ({ kind: 'Pod', namespace: p.namespace, name: p.pod }),
  describe: (p) =>
    `label pod ${p.namespace}/${p.pod} ${QUARANTINE_LABEL}=true and apply a NetworkPolicy denying all its ingress and egress` +
    (p.detach ? '; move its selector labels aside so its ReplicaSet and Services let go of it and a replacement starts' : '') +
    (p.expireAfter !== undefined ? `; release it after ${p.expireAfter}` : ''),
  execute: quarantine,
});

async function quarantine(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const kube = await kubeClients(ctx, ID);
  const undo = { action: 'kubernetes.release-pod', params: { namespace: p.namespace, pod: p.pod } };
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const pod = await kube.call(`read pod ${p.namespace}/${p.pod}`, () =>
      kube.core.readNamespacedPod({ name: p.pod, namespace: p.namespace }, kube.options()),
    );
    const uid = pod.metadata?.uid ?? '';
    const recordedKey = pod.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.idempotencyKey];
    if (recordedKey !== undefined) {
      // Quarantined before (by this step, or by another incident): make sure the policy is there,
      // since a crash between creating it and patching the pod cannot leave it missing, but a
      // deleted policy would silently lift the isolation.
      const policyName = pod.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.policy] ?? quarantinePolicyName(p.pod, uid);
      const recreated = await ensurePolicy(
        kube,
        quarantinePolicy({ name: policyName, namespace: p.namespace, podName: p.pod, podUid: uid, idempotencyKey: recordedKey, expiresAt: undefined }),
      );
      return {
        outcome: 'already-done',
        summary: `pod ${p.namespace}/${p.pod} is already quarantined${recordedKey === ctx.idempotencyKey ? '' : ' (by another step)'}` +
          (recreated ? `; its NetworkPolicy ${policyName} was missing and was recreated` : ''),
        details: { policy: policyName, quarantineId: uid, quarantinedBy: recordedKey, policyRecreated: recreated },
        undo,
      };
    }
    if (pod.metadata?.deletionTimestamp !== undefined) {
      throw new ActionError('client', `pod ${p.namespace}/${p.pod} is being deleted; there is nothing left to quarantine`);
    }

    const controller = p.detach ? await podController(kube, pod) : undefined;
    const services = p.detach
      ? (await kube.call(`list services in ${p.namespace}`, () => kube.core.listNamespacedService({ namespace: p.namespace }, kube.options()))).items
      : [];
    const policies = (
      await kube.call(`list network policies in ${p.namespace}`, () =>
        kube.networking.listNamespacedNetworkPolicy({ namespace: p.namespace }, kube.options()),
      )
    ).items;
    const plan = planQuarantine({
      pod,
      controller,
      services,
      policies,
      detach: p.detach,
      idempotencyKey: ctx.idempotencyKey,
      now: ctx.deps.clock.now(),
      expireAfterMs: p.expireAfter === undefined ? undefined : parseDuration(p.expireAfter),
    });
    if (plan.controllerStillSelects && controller !== undefined) {
      throw new ActionError(
        'refused',
        `the selector of ${controller.kind} ${controller.name} would still select pod ${p.namespace}/${p.pod} without its labels; quarantine it with detach: false`,
      );
    }

    // Policy first: it selects the pod by the per-pod label, which the pod carries only once the
    // patch below lands, so at no moment is the pod labelled quarantined but unisolated.
    await ensurePolicy(kube, plan.policy);
    try {
      await kube.call(`patch pod ${p.namespace}/${p.pod}`, () =>
        kube.core.patchNamespacedPod({ name: p.pod, namespace: p.namespace, body: plan.podPatch }, kube.options(PATCH.merge)),
      );
    } catch (error) {
      // 409: the pod changed since we read it (a controller adopted or released it): plan again.
      if (error instanceof ActionError && error.reason === 'conflict' && attempt < ATTEMPTS) continue;
      throw error;
    }
    const detached = plan.detachedFrom.length > 0 ? `; detached from ${plan.detachedFrom.join(', ')}` : '';
    const moved = plan.removedLabels.length > 0 ? ` (labels ${plan.removedLabels.join(', ')} moved aside)` : '';
    const leaks = plan.stillAllowedBy.length > 0
      ? `; WARNING: allow policies ${plan.stillAllowedBy.join(', ')} still select it, and policies are additive`
      : '';
    return {
      outcome: 'succeeded',
      summary: `quarantined pod ${p.namespace}/${p.pod}: NetworkPolicy ${plan.policyName} denies all its ingress and egress${detached}${moved}${leaks}`,
      details: {
        policy: plan.policyName,
        quarantineId: uid,
        detached: p.detach,
        detachedFrom: plan.detachedFrom.join(','),
        removedLabels: plan.removedLabels.join(','),
        stillAllowedBy: plan.stillAllowedBy.join(','),
        ...(plan.expiresAt === undefined ? {} : { expiresAt: plan.expiresAt }),
      },
      undo,
    };
  }
  throw new ActionError('conflict', `pod ${p.namespace}/${p.pod} kept changing while it was being quarantined (${ATTEMPTS} attempts)`);
}

/** The pod's ReplicaSet with its selector; undefined for a bare pod. Other controllers are refused. */
async function podController(kube: KubeClients, pod: V1Pod): Promise<PodController | undefined> {
  const namespace = pod.metadata?.namespace ?? '';
  const ref = pod.metadata?.ownerReferences?.find((owner) => owner.controller === true);
  if (ref === undefined) return undefined;
  if (ref.kind !== 'ReplicaSet') {
    // A StatefulSet recreates a pod under the same name, which the kept pod still holds; other
    // controllers are not read by this action. Isolating in place still works.
    throw new ActionError(
      'refused',
      `pod ${namespace}/${pod.metadata?.name ?? ''} is controlled by ${ref.kind} ${ref.name}; only ReplicaSet pods and bare pods can be detached, use detach: false`,
    );
  }
  const replicaSet = await kube.call(`read replica set ${namespace}/${ref.name}`, () =>
    kube.apps.readNamespacedReplicaSet({ name: ref.name, namespace }, kube.options()),
  );
  return { ...replicaSetController(replicaSet), name: ref.name };
}

/**
 * Creates the policy, or accepts the one already there when it isolates the same pod. Returns
 * whether it had to be created.
 */
async function ensurePolicy(kube: KubeClients, policy: V1NetworkPolicy): Promise<boolean> {
  const namespace = policy.metadata?.namespace ?? '';
  const name = policy.metadata?.name ?? '';
  const podUid = policy.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.podUid];
  let existing = await kube.callOrAbsent(`read network policy ${namespace}/${name}`, () =>
    kube.networking.readNamespacedNetworkPolicy({ name, namespace }, kube.options()),
  );
  if (existing === undefined) {
    try {
      await kube.call(`create network policy ${namespace}/${name}`, () =>
        kube.networking.createNamespacedNetworkPolicy({ namespace, body: policy }, kube.options()),
      );
      return true;
    } catch (error) {
      // 409: a concurrent run of the same step created it in between; check it like any existing one.
      if (!(error instanceof ActionError && error.reason === 'conflict')) throw error;
      existing = await kube.call(`read network policy ${namespace}/${name}`, () =>
        kube.networking.readNamespacedNetworkPolicy({ name, namespace }, kube.options()),
      );
    }
  }
  if (existing.metadata?.annotations?.[QUARANTINE_ANNOTATIONS.podUid] !== podUid) {
    throw new ActionError(
      'conflict',
      `network policy ${namespace}/${name} exists but does not isolate this pod (UID ${podUid ?? 'unknown'}); delete it or wait for its old pod's garbage collection`,
    );
  }
  return false;
}
