import type { V1DeleteOptions } from '@kubernetes/client-node';
import { z } from 'zod';
import type { ActionContext, ActionResult } from '../action-context.js';
import { defineAction } from '../action-definition.js';
import { k8sName } from '../params.js';
import { kubeClients } from './kube-clients.js';
import { kubeObject } from './kube-object.js';

const ID = 'kubernetes.delete-pod';

const params = z
  .object({ namespace: k8sName, pod: k8sName, gracePeriodSeconds: z.number().int().min(0).max(3600).default(30) })
  .strict();
type Params = z.output<typeof params>;

/**
 * Deletes one pod; its controller replaces it. Evidence in the pod is lost: prefer quarantine.
 * The deletion is conditioned on the pod's UID, so a retry never deletes a new pod that took the
 * same name (a StatefulSet's replacement); a pod already gone or terminating is `already-done`.
 */
export const deletePod = defineAction({
  id: ID,
  provider: 'kubernetes',
  summary: 'Delete one pod so its controller replaces it',
  params,
  rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete'] }],
  destructive: true,
  example: { namespace: '{{ entity.namespace }}', pod: '{{ entity.pod }}' },
  target: (p) => ({ kind: 'Pod', namespace: p.namespace, name: p.pod }),
  describe: (p) => `delete pod ${p.namespace}/${p.pod} with a ${p.gracePeriodSeconds}s grace period; its controller starts a replacement`,
  execute: remove,
});

async function remove(p: Params, ctx: ActionContext): Promise<ActionResult> {
  const kube = await kubeClients(ctx, ID);
  const pod = await kube.callOrAbsent(`read pod ${p.namespace}/${p.pod}`, () =>
    kube.core.readNamespacedPod({ name: p.pod, namespace: p.namespace }, kube.options()),
  );
  if (pod === undefined) {
    return { outcome: 'already-done', summary: `pod ${p.namespace}/${p.pod} no longer exists`, details: { existed: false } };
  }
  const uid = pod.metadata?.uid ?? '';
  if (pod.metadata?.deletionTimestamp !== undefined) {
    return {
      outcome: 'already-done',
      summary: `pod ${p.namespace}/${p.pod} is already being deleted`,
      details: { uid, deletionTimestamp: pod.metadata.deletionTimestamp.toISOString() },
    };
  }
  const owner = pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  const deleted = await kube.callOrAbsent(`delete pod ${p.namespace}/${p.pod}`, () =>
    kube.core.deleteNamespacedPod(
      {
        name: p.pod,
        namespace: p.namespace,
        gracePeriodSeconds: p.gracePeriodSeconds,
        body: kubeObject<V1DeleteOptions>({ gracePeriodSeconds: p.gracePeriodSeconds, preconditions: { uid } }),
      },
      kube.options(),
    ),
  );
  if (deleted === undefined) {
    return { outcome: 'already-done', summary: `pod ${p.namespace}/${p.pod} was deleted in the meantime`, details: { uid, existed: false } };
  }
  return {
    outcome: 'succeeded',
    summary:
      `deleted pod ${p.namespace}/${p.pod} (grace period ${p.gracePeriodSeconds}s)` +
      (owner === undefined ? '; it has no controller, so nothing replaces it' : `; ${owner.kind} ${owner.name} starts a replacement`),
    details: { uid, gracePeriodSeconds: p.gracePeriodSeconds, ...(owner === undefined ? {} : { controller: `${owner.kind}/${owner.name}` }) },
  };
}
